import ArgumentParser
import Ferry
import Foundation

struct DeadLetterReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send dead letters back to where they came from (or elsewhere), at a limited rate.",
        discussion: """
            Each letter is published again, unchanged but for its dead-letter headers, which move into \
            the header ferry-dlq-history; it is acknowledged in the DLQ only once the target broker has \
            confirmed it. A letter goes back to its recorded topic, queue or stream on the DLQ's broker, \
            with the DLQ endpoint's credentials and settings; for another broker, give --to.
            """
    )

    @OptionGroup var letters: DeadLetterSource

    @Option(help: "Publish here instead of each letter's original endpoint.")
    var to: String?

    @Option(help: "At most this many letters per second.")
    var rate: Double = 100

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be above 0, not \(rate)") }
    }

    func run() async throws {
        let (transports, _) = letters.common.transports()
        let source = try letters.common.endpoint(letters.endpoint)
        let fixedTarget = try to.map { try letters.common.endpoint($0) }
        var publishers: [String: any Publisher] = [:]
        var replayed = 0
        var skipped = 0
        let interval = Duration.microseconds(Int64(1_000_000 / rate))
        var next = ContinuousClock.now
        try await letters.read(with: transports) { delivery, record, pass in
            let target: Endpoint
            do {
                guard let known = try fixedTarget ?? record.map({ try Self.origin($0, dlq: source) }) else {
                    throw ValidationError("it has no dead-letter record")
                }
                target = known
            } catch {
                Output.error("dlq replay: \(delivery.position): \(error); left in the DLQ; give --to to replay it")
                try await pass.passOver(delivery)
                skipped += 1
                return true
            }
            try await Task.sleep(until: next, clock: .continuous)
            next = max(next + interval, .now)
            let key = target.description
            if publishers[key] == nil { publishers[key] = try await transports.transport(for: target).makePublisher(for: target) }
            try await DeadLetterPass.send(delivery, headers: DeadLetterRecord.replayed(delivery.event.headers), with: publishers[key]!)
            try await delivery.ack()
            replayed += 1
            return true
        }
        for publisher in publishers.values { await publisher.close() }
        await transports.shutdown()
        Output.line("replayed \(replayed) dead letter(s)" + (skipped > 0 ? ", skipped \(skipped)" : ""))
        if skipped > 0 { throw ExitCode(1) }
    }

    /// Query parameters that say where on a broker an event goes. Only these are taken from a
    /// letter's recorded origin; credentials and client settings come from the DLQ endpoint.
    static let routingKeys: Set<String> = [
        "exchange", "exchange-type", "routing-key", "binding-key", "queue", "queue-type", "db", "maxlen", "partitions",
    ]

    /// Where a letter goes back to: its recorded origin's topic, queue or stream, on the DLQ's
    /// broker, reached with the DLQ endpoint's credentials and settings. A letter's headers are
    /// anyone's writing: an origin on another broker is refused, and none of its other query
    /// parameters (`rdkafka.*` among them) is used.
    static func origin(_ record: DeadLetterRecord, dlq: Endpoint) throws -> Endpoint {
        let recorded = try Endpoint(record.endpoint)
        guard recorded.scheme == dlq.scheme, recorded.hosts == dlq.hosts else {
            throw ValidationError("its origin \(recorded) is not on the DLQ's broker, where alone Ferry replays")
        }
        var target = dlq
        target.path = recorded.path
        target.query = dlq.query.filter { !routingKeys.contains($0.key) && $0.key != "dlq" }
            .merging(recorded.query.filter { routingKeys.contains($0.key) }) { $1 }
        return target
    }
}
