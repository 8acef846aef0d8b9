import Ferry
import FerryConformance
import Foundation
import Logging
import Testing

/// The `Consumer`'s policy when its idempotency store is down: it fails closed (nothing is
/// handled without a reservation, nothing is lost or dead-lettered), shows it in `health`, and
/// goes on by itself once the store is back. It used to end `run` on the first store error.
@Suite struct ConsumerStoreOutageTests {
    final class SwitchableStore: IdempotencyStore {
        let store = MemoryIdempotencyStore()
        let down = Locked(true)

        func check() throws {
            if down.withLock({ $0 }) { throw FerryError(.connectionFailed, "the store is down", isRetriable: true) }
        }
        func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
            try check()
            return try await store.reserve(key, for: ttl)
        }
        func complete(_ key: String, retention: Duration) async throws {
            try check()
            try await store.complete(key, retention: retention)
        }
        func release(_ key: String) async throws { try await store.release(key) }
        func forget(_ key: String) async throws { try await store.forget(key) }
        func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
            try await store.complete(key, retention: retention, keeping: outcome)
        }
        func outcome(of key: String) async throws -> Data? { try await store.outcome(of: key) }
    }

    @Test func aConsumerWaitsOutAStoreOutageAndShowsIt() async throws {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://outage-\(UUID().uuidString.prefix(8).lowercased())")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let events = (0..<3).map { _ in Event(source: "/t", type: "t") }
        _ = try await transport.makePublisher(for: endpoint).publish(events)
        let store = SwitchableStore()
        let handled = Locked<[String]>([])
        let consumer = Consumer(
            subscription: subscription,
            options: ConsumerOptions(retry: RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(200)), idempotency: store),
            logger: Logger(label: "test")
        ) { delivery in handled.withLock { $0.append(delivery.event.id) } }
        let running = Task { try await consumer.run() }
        defer { running.cancel() }

        try await eventually(.seconds(10), "the consumer reports the failing store") { consumer.health.isFailing }
        #expect(consumer.health.lastError?.contains("the store is down") == true)
        #expect(handled.withLock { $0 }.isEmpty, "nothing is handled without a reservation")

        store.down.withLock { $0 = false }
        try await eventually(.seconds(10), "every event is handled once the store is back") { handled.withLock { $0.count } == 3 }
        #expect(Set(handled.withLock { $0 }) == Set(events.map(\.id)))
        #expect(!consumer.health.isFailing)
        #expect(consumer.health.lastSettled != nil)
        try await eventually(.seconds(10), "and acked") { try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 0 }
        let dlq = try await transport.lag(of: try transport.deadLetterEndpoint(for: endpoint), group: "any")
        #expect(dlq.reduce(0) { $0 + $1.lag } == 0, "nothing dead-lettered")
    }
}
