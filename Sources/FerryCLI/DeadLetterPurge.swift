import ArgumentParser
import Ferry

struct DeadLetterPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Acknowledge (and so drop) dead letters for good.")

    @Argument(help: "The dead-letter endpoint.")
    var endpoint: String

    @Option(help: "Only letters with this reason class.")
    var reason: String?

    @Option(help: "The group whose position in the DLQ moves (Kafka and Redis keep the letters for other groups).")
    var group: String = "ferry-dlq"

    @Option(help: "Stop when no letter arrived for this many seconds.")
    var quiet: Double = 3

    @Flag(help: "Really purge; without it nothing is done.")
    var yes = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard yes else { throw ValidationError("purging drops dead letters for good; add --yes to do it") }
    }

    func run() async throws {
        let (transports, _) = common.transports()
        var purged = 0
        try await DeadLetterReader(transports: transports, endpoint: try Endpoint(endpoint))
            .read(group: group, quiet: .milliseconds(Int(quiet * 1000))) { delivery, record in
                guard reason == nil || record?.reason.code.name == reason else { return true }
                try await delivery.ack()
                purged += 1
                return true
            }
        await transports.shutdown()
        Output.line("purged \(purged) dead letter(s)")
    }
}
