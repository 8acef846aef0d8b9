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
        try await letters.read(group: "ferry-dlq-show-\(UUID().uuidString.prefix(8).lowercased())", with: transports) { delivery, record in
            guard delivery.event.id == id else { return true }
            Output.line(try DeadLetterList.json(delivery, record))
            found = true
            return false
        }
        await transports.shutdown()
        guard found else {
            Output.error("dlq show: no dead letter with id '\(id)' in \(try Endpoint(letters.endpoint))")
            throw ExitCode(1)
        }
    }
}
