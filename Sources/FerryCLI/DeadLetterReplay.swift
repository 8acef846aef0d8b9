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
            confirmed it. The recorded origin has its password masked: Ferry reuses the DLQ endpoint's \
            credentials when the origin is on the same broker, else give --to.
            """
    )

    @OptionGroup var letters: DeadLetterSource

    @Option(help: "Publish here instead of each letter's original endpoint.")
    var to: String?

    @Option(help: "At most this many letters per second.")
    var rate: Double = 100

    @Option(help: "The group whose position in the DLQ moves as letters are replayed.")
    var group: String = "ferry-dlq-replay"

    func validate() throws {
        guard rate > 0 else { throw ValidationError("--rate must be above 0, not \(rate)") }
    }

    func run() async throws {
        let (transports, _) = letters.common.transports()
        let source = try Endpoint(letters.endpoint)
        let fixedTarget = try to.map { try Endpoint($0) }
        var publishers: [String: any Publisher] = [:]
        var replayed = 0
        var skipped = 0
        let interval = Duration.microseconds(Int64(1_000_000 / rate))
        var next = ContinuousClock.now
        try await letters.read(group: group, with: transports) {
            delivery, record in
            guard let target = try fixedTarget ?? record.map({ try Self.origin($0, dlq: source) }) else {
                Output.error("dlq replay: \(delivery.position) has no dead-letter record; give --to to replay it")
                skipped += 1
                return true
            }
            try await Task.sleep(until: next, clock: .continuous)
            next = max(next + interval, .now)
            let key = target.description
            if publishers[key] == nil { publishers[key] = try await transports.transport(for: target).makePublisher(for: target) }
            try await Self.republish(delivery, with: publishers[key]!)
            try await delivery.ack()
            replayed += 1
            return true
        }
        for publisher in publishers.values { await publisher.close() }
        await transports.shutdown()
        Output.line("replayed \(replayed) dead letter(s)" + (skipped > 0 ? ", skipped \(skipped)" : ""))
        if skipped > 0 { throw ExitCode(1) }
    }

    /// The recorded origin, with the DLQ endpoint's credentials when it is on the same broker.
    static func origin(_ record: DeadLetterRecord, dlq: Endpoint) throws -> Endpoint {
        var origin = try Endpoint(record.endpoint)
        let maskedQuery = origin.query.filter { $0.value == "***" && Endpoint.isSecret($0.key) }.map(\.key)
        if origin.password == "***" || !maskedQuery.isEmpty {
            guard origin.hosts == dlq.hosts else {
                throw ValidationError("the origin \(record.endpoint) is on another broker; its secrets are not recorded: give --to")
            }
            if origin.password == "***" {
                origin.user = dlq.user
                origin.password = dlq.password
            }
            for key in maskedQuery { origin.query[key] = dlq.query[key] }
        }
        return origin
    }

    static func republish(_ delivery: Delivery, with publisher: any Publisher) async throws {
        let headers = DeadLetterRecord.replayed(delivery.event.headers)
        if delivery.isWrapped {  // a plain or broken message: send back its bytes as they were
            let event = delivery.event
            _ = try await publisher.publish(
                raw: RawMessage(body: event.data, headers: headers, contentType: event.datacontenttype, key: event.partitionkey))
        } else {
            var event = delivery.event
            event.headers = headers
            _ = try await publisher.publish(event)
        }
    }
}
