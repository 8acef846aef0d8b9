import ArgumentParser
import Ferry
import Foundation

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish events to an endpoint and wait for the broker to confirm each one.",
        discussion: """
            Prints one line per confirmed event: its id and where the broker put it. Examples:
              ferry publish kafka://127.0.0.1:9092/orders --type order.placed --data '{"id":1}'
              ferry publish redis://127.0.0.1:6379/orders --type order.placed --file order.json --count 100
            """
    )

    @Argument(help: "Where to publish, e.g. kafka://127.0.0.1:9092/orders.")
    var endpoint: String

    @Option(help: "The CloudEvents type of each event.")
    var type: String

    @OptionGroup var data: EventDataOptions

    @Option(help: "How many events to publish.")
    var count: Int = 1

    @Option(help: "The partition key (Kafka record key): events with one key keep their order.")
    var key: String?

    @Option(help: "The CloudEvents source.")
    var source: String = "/ferry/cli"

    @Option(help: "The CloudEvents subject.")
    var subject: String?

    @Option(help: "The schema version (dataversion) of the events.")
    var version: Int?

    @Flag(help: "Print one JSON object per receipt.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1, not \(count)") }
    }

    func run() async throws {
        let body = try data.bytes()
        let (transports, _) = common.transports()
        let publisher = try await transports.publisher(for: common.endpoint(endpoint))
        let events = (0..<count).map { _ in
            Event(
                source: source, type: type, datacontenttype: data.contentType, subject: subject, partitionkey: key,
                dataversion: version, data: body)
        }
        let started = ContinuousClock.now
        let results = await publisher.send(events)
        await publisher.close()
        await transports.shutdown()
        var failed = 0
        for result in results {
            switch result {
            case .success(let receipt):
                if json {
                    let line = ["id": receipt.eventID, "position": receipt.position.description]
                    Output.line(String(decoding: try JSONSerialization.data(withJSONObject: line, options: .sortedKeys), as: UTF8.self))
                } else if count <= 20 {
                    Output.line("published \(receipt.eventID) at \(receipt.position)")
                }
            case .failure(let error):
                failed += 1
                Output.error("publish failed: \(error)")
            }
        }
        if !json && count > 20 {
            Output.line("published \(count - failed) of \(count) events in \(ContinuousClock.now - started)")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
