import Ferry
import Foundation

/// The settings every contender of a row runs with, so raw, ferry and peer do the same work.
struct Workload: Sendable, Codable {
    /// Events per throughput run.
    var events: Int
    /// Bytes of data per event.
    var payloadBytes: Int
    /// Events per publish call; each batch is confirmed before the next (Kafka: delivery reports
    /// with acks=all; RabbitMQ: publisher confirms, the whole batch unconfirmed at once; Redis:
    /// one pipeline of XADDs).
    var batch: Int
    /// Messages a consumer holds unsettled (Kafka batch, AMQP basic.qos, Redis COUNT).
    var prefetch: Int
    /// Sequential single-event publishes timed for the latency rows.
    var latencySamples: Int
    /// Rounds of each raw and Ferry throughput run; the median is reported.
    var repeats: Int

    /// The data of every event: JSON valid against Config/schemas' order.placed v1, padded by a
    /// note to `payloadBytes`.
    var payload: Data {
        let head = #"{"orderID":"o-000000","customer":"c-000","quantity":1,"note":""#
        return Data((head + String(repeating: "x", count: max(0, payloadBytes - head.count - 2)) + #""}"#).utf8)
    }

    /// Events per second of sending `events` in batches of `batch`: `send` gets each batch's
    /// size and returns once the broker confirmed the batch.
    func publishRate(_ send: (Int) throws -> Void) rethrows -> Double {
        let started = ContinuousClock.now
        var sent = 0
        while sent < events {
            let count = min(batch, events - sent)
            try send(count)
            sent += count
        }
        return Rate.perSecond(events, ContinuousClock.now - started)
    }

    /// Microseconds each of `latencySamples` single-event sends took, confirm included.
    func latencies(_ send: () throws -> Void) rethrows -> [Double] {
        try (0..<latencySamples).map { _ in
            let started = ContinuousClock.now
            try send()
            return (ContinuousClock.now - started).microsecondsValue
        }
    }

    /// An event as Ferry puts it on the wire: the raw loops and the peers send the same headers,
    /// key and data, so that every contender moves the same bytes.
    var sample: Event { events(1)[0] }

    /// `count` events as a service would publish them: type, source, partition key, JSON data.
    func events(_ count: Int, keys: Int = 100) -> [Event] { events(0..<count, keys: keys) }

    func events(_ indexes: Range<Int>, keys: Int = 100) -> [Event] {
        let data = payload
        return indexes.map { index in
            Event(
                source: "/bench", type: "com.example.order.placed", datacontenttype: "application/json",
                partitionkey: "order-\(index % keys)", dataversion: 1, data: data)
        }
    }
}
