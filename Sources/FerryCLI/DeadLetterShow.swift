import ArgumentParser
import Ferry
import Foundation

struct DeadLetterShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one dead letter in full (JSON), found by event id, without removing it.")

    @OptionGroup var letters: DeadLetterSource

    @Argument(help: "The event id of the letter.")
    var id: String

    func run() async throws {
        let (transports, _) = letters.common.transports()
        var found = false
        try await letters.browse(with: transports) { position, event, record in
            guard let event = try? event.get(), event.id == id else { return true }
            Output.line(try DeadLetterList.json(position, .success(event), record))
            found = true
            return false
        }
        await transports.shutdown()
        guard found else {
            Output.error("dlq show: no dead letter with id '\(id)' in \(Endpoint.redacted(letters.endpoint))")
            throw ExitCode(1)
        }
    }
}
