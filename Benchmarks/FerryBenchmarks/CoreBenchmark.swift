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

        let envelope = try time {
            for event in events {
                let record = try KafkaWireFormat.encode(event)
                _ = try KafkaWireFormat.decode(record, position: position, source: "kafka://bench").get()
            }
        }
        let store = MemoryIdempotencyStore(capacity: iterations)
        let started = ContinuousClock.now
        for event in events {
            guard case .acquired = try await store.reserve(event.idempotencyKey, for: .seconds(60)) else {
                throw BenchmarkFailure("memory store: a fresh key was not acquired")
            }
            try await store.complete(event.idempotencyKey, retention: .seconds(3600))
        }
        let idempotency = (ContinuousClock.now - started) / iterations
        let validation = try time { for event in events { _ = try schemas.prepare(event) } }
        let upcast = try time {
            for event in events where try schemas.prepare(event, to: 2).dataversion != 2 { throw BenchmarkFailure("upcast did not reach v2") }
        }
        func row(_ name: String, _ perEvent: Duration, target: String? = nil, met: Bool? = nil, note: String? = nil) -> BenchmarkRow {
            BenchmarkRow(section: "Core overhead per event", name: name, unit: .nanoseconds, ferry: perEvent.microsecondsValue * 1000, target: target, met: met, note: note)
        }
        let total = envelope + idempotency + upcast
        return [
            row("envelope encode + decode (Kafka binary mode)", envelope),
            row("idempotency check (memory store: reserve + complete)", idempotency),
            row("schema validation (order.placed v1)", validation),
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
