import ArgumentParser
import Ferry

struct LagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lag",
        abstract: "Show how far a consumer group is behind, per partition, queue or stream.",
        discussion: """
            Lag is the same measure on every broker: messages not yet handed to the group plus those \
            handed out and not yet acknowledged. Kafka: end offset minus committed offset; RabbitMQ: \
            ready + unacknowledged (management API); Redis: XINFO GROUPS lag + pending.
            """
    )

    @Argument(help: "The endpoint the group consumes, e.g. kafka://127.0.0.1:9092/orders.")
    var endpoint: String

    @Option(help: "The consumer group.")
    var group: String

    @Flag(help: "Print one JSON object per partition, queue or stream.")
    var json = false

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let (transports, _) = common.transports()
        let target = try common.endpoint(endpoint)
        let entries = try await transports.transport(for: target).lag(of: target, group: group)
        await transports.shutdown()
        for entry in entries {
            if json {
                Output.line(#"{"scope":"\#(entry.scope)","lag":\#(entry.lag)\#(entry.pending.map { ",\"pending\":\($0)" } ?? "")}"#)
            } else {
                Output.line("\(entry.scope)\tlag=\(entry.lag)\(entry.pending.map { "\tpending=\($0)" } ?? "")")
            }
        }
        if !json { Output.line("total\tlag=\(entries.reduce(0) { $0 + $1.lag })") }
    }
}
