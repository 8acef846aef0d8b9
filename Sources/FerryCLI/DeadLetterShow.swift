import ArgumentParser
import Ferry
import Foundation

struct DeadLetterShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print one dead letter in full (JSON), found by event id, without removing it.")

    @Argument(help: "The dead-letter endpoint.")
    var endpoint: String

    @Argument(help: "The event id of the letter.")
    var id: String

    @Option(help: "Give up when no letter arrived for this many seconds.")
    var quiet: Double = 3

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let (transports, _) = common.transports()
        var found = false
        try await DeadLetterReader(transports: transports, endpoint: try Endpoint(endpoint))
            .read(group: "ferry-dlq-show-\(UUID().uuidString.prefix(8).lowercased())", quiet: .milliseconds(Int(quiet * 1000))) {
                delivery, record in
                guard delivery.event.id == id else { return true }
                Output.line(try DeadLetterList.json(delivery, record))
                found = true
                return false
            }
        await transports.shutdown()
        guard found else {
            Output.error("dlq show: no dead letter with id '\(id)' in \(try Endpoint(endpoint))")
            throw ExitCode(1)
        }
    }
}
