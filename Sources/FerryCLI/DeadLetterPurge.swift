import ArgumentParser
import Ferry

struct DeadLetterPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Acknowledge (and so drop) dead letters for good.")

    @OptionGroup var letters: DeadLetterSource

    @Flag(help: "Really purge; without it nothing is done.")
    var yes = false

    func validate() throws {
        guard yes else { throw ValidationError("purging drops dead letters for good; add --yes to do it") }
    }

    func run() async throws {
        let (transports, _) = letters.common.transports()
        var purged = 0
        try await letters.read(with: transports) { delivery, _, _ in
            try await delivery.ack()
            purged += 1
            return true
        }
        await transports.shutdown()
        Output.line("purged \(purged) dead letter(s)")
    }
}
