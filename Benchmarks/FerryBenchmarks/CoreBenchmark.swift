import Ferry
import FerryKafka
import Foundation

/// Ferry's own work per event, without a broker: what the abstraction adds to every message.
struct CoreBenchmark {
    let workload: Workload
    let schemas: SchemaRegistry
    let iterations: Int

    func run() async throws -> [BenchmarkRow] {
        let events = workload.events(iterations)
        let position = Position(destination: "bench", partition: 0, offset: "0")

        // Steady state, as in a publisher or consumer: each record is dropped once used, so the
        // heap does not grow with the loop.
        var bytes = 0
        let encode = try time { for event in events { bytes &+= try KafkaWireFormat.encode(event).headers.count } }
        let records = try events.prefix(1000).map { try KafkaWireFormat.encode($0) }
        let decode = try time {
            for index in 0..<iterations {
                bytes &+= try KafkaWireFormat.decode(records[index % records.count], position: position, source: "kafka://bench").get()
                    .event.id.utf8.count
            }
        }
        guard bytes > 0 else { throw BenchmarkFailure("nothing was encoded") }
        let store = MemoryIdempotencyStore()  // the relay's default: 100,000 keys, then the oldest go
        let started = ContinuousClock.now
        for event in events {
            let key = IdempotencyKey.of(event, scope: "bench")
            guard case .acquired = try await store.reserve(key, for: .seconds(60)) else {
                throw BenchmarkFailure("memory store: a fresh key was not acquired")
            }
            try await store.complete(key, retention: .seconds(3600))
        }
        let idempotency = (ContinuousClock.now - started) / iterations
        let validation = try time { for event in events { _ = try schemas.prepare(event) } }
        let upcast = try time {
            for event in events where try schemas.prepare(event, to: 2).dataversion != 2 {
                throw BenchmarkFailure("upcast did not reach v2")
            }
        }
        func row(_ name: String, _ perEvent: Duration, target: String? = nil, met: Bool? = nil, note: String? = nil) -> BenchmarkRow {
            BenchmarkRow(
                section: "Core overhead per event", name: name, unit: .nanoseconds, ferry: perEvent.microsecondsValue * 1000,
                target: target, met: met, note: note)
        }
        let total = encode + decode + idempotency + upcast
        return [
            row("envelope encode (Kafka binary mode)", encode, target: "≤ 0.5 µs", met: encode <= .nanoseconds(500)),
            row("envelope decode (Kafka binary mode)", decode, target: "≤ 0.5 µs", met: decode <= .nanoseconds(500)),
            row(
                "idempotency check (memory store: reserve + complete)", idempotency, target: "≤ 0.3 µs",
                met: idempotency <= .nanoseconds(300)),
            row("schema validation (order.placed v1)", validation, target: "≤ 1 µs", met: validation <= .microseconds(1)),
            row("validation + one upcast step (v1 → v2, validated again)", upcast),
            row(
                "total: envelope + idempotency + validation + upcast", total, target: "≤ 2 µs", met: total <= .microseconds(2),
                note: "the upcast row includes parsing and validating the data"),
        ]
    }

    /// The mean time per event of `body`, which handles all `iterations` events.
    private func time(_ body: () throws -> Void) throws -> Duration {
        let started = ContinuousClock.now
        try body()
        return (ContinuousClock.now - started) / iterations
    }
}
