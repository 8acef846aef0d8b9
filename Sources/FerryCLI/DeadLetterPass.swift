import Ferry
import Foundation

/// One run of `ferry dlq purge` or `replay` over a DLQ. A letter the run passes over (another
/// `--reason`, or one it cannot replay) is moved to the back of the DLQ: copied unchanged with
/// the run's `ferry-dlq-pass` mark, then acknowledged. So the group moves past it even on a
/// broker that keeps one position per partition (Kafka), and nothing settled is read twice;
/// meeting the first marked copy again means every letter has been seen.
final class DeadLetterPass {
    private let mark = UUID().uuidString
    private let dlq: Endpoint
    private let transports: Transports
    private var publisher: (any Publisher)?

    init(dlq: Endpoint, transports: Transports) {
        self.dlq = dlq
        self.transports = transports
    }

    /// A copy this run made: the run has come full circle.
    func madeByThisRun(_ delivery: Delivery) -> Bool {
        delivery.event.headers[DeadLetterRecord.Header.pass] == mark
    }

    func passOver(_ delivery: Delivery) async throws {
        if publisher == nil { publisher = try await transports.publisher(for: dlq) }
        var headers = delivery.event.headers
        headers[DeadLetterRecord.Header.pass] = mark
        try await Self.send(delivery, headers: headers, with: publisher!)
        try await delivery.ack()
    }

    func close() async { await publisher?.close() }

    /// Publishes a letter again with `headers`: an event as an event, a plain or broken message
    /// as the bytes it came as.
    static func send(_ delivery: Delivery, headers: [String: String], with publisher: any Publisher) async throws {
        try await send(delivery.event, plain: delivery.isWrapped, headers: headers, with: publisher)
    }

    /// Publishes `event` again with `headers`; `plain`: as the bytes a plain message came as
    /// (what `ferry replay` does too).
    static func send(_ event: Event, plain: Bool, headers: [String: String], with publisher: any Publisher) async throws {
        if plain {
            _ = try await publisher.publish(
                raw: RawMessage(body: event.data, headers: headers, contentType: event.datacontenttype, key: event.partitionkey))
        } else {
            var event = event
            event.headers = headers
            _ = try await publisher.publish(event)
        }
    }
}
