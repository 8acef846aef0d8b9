import Ferry
import FerryConformance
import Foundation
import Logging
import Testing

@testable import Ferry

/// A serial `Consumer` admits what the source has fetched in batches: one reservation and one
/// completion per batch in the idempotency store, never more than a reservation's worth.
@Suite struct BatchedConsumerTests {
    /// A store that counts the calls made to it.
    final class CountingStore: IdempotencyStore {
        let inner = MemoryIdempotencyStore()
        let calls = Locked((reserve: 0, complete: 0, keys: 0))

        func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
            try await reserve([key], for: ttl)[0]
        }
        func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
            calls.withLock {
                $0.reserve += 1
                $0.keys += keys.count
            }
            return try await inner.reserve(keys, for: ttl)
        }
        func complete(_ key: String, retention: Duration) async throws { try await complete([key], retention: retention) }
        func complete(_ keys: [String], retention: Duration) async throws {
            calls.withLock { $0.complete += 1 }
            try await inner.complete(keys, retention: retention)
        }
        func release(_ key: String) async throws { try await inner.release(key) }
        func forget(_ key: String) async throws { try await inner.forget(key) }
        func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
            try await inner.complete(key, retention: retention, keeping: outcome)
        }
        func outcome(of key: String) async throws -> Data? { try await inner.outcome(of: key) }
    }

    @Test func aBatchCostsOneReservationAndOneCompletion() async throws {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://batched-\(UUID().uuidString.prefix(8).lowercased())")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g", prefetch: 64))
        let events = (0..<500).map { Event(source: "/t", type: "t", partitionkey: "k\($0 % 7)", data: Data("\($0)".utf8)) }
        // Each event once more right after itself: a producer's retry, inside one batch.
        _ = try await transport.makePublisher(for: endpoint).publish(events.flatMap { [$0, $0] })
        let store = CountingStore()
        let seen = Locked([Int]())
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(idempotency: store), logger: Logger(label: "test")
        ) { delivery in
            seen.withLock { $0.append(Int(String(decoding: delivery.event.data, as: UTF8.self))!) }
        }
        let running = Task { try await consumer.run() }
        defer { running.cancel() }
        try await eventually(.seconds(20), "every event handled and acked") {
            try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 0
        }
        let handled = seen.withLock { $0 }
        #expect(handled.sorted() == Array(0..<500), "each event handled once")
        for key in 0..<7 {
            let ofKey = handled.filter { $0 % 7 == key }
            #expect(ofKey == ofKey.sorted(), "the events of key k\(key) in order")
        }
        let calls = store.calls.withLock { $0 }
        #expect(calls.keys == 1000, "every delivery reserved, the repeated one after the first was done")
        #expect(calls.reserve < 100, "\(calls.reserve) reservations for 1,000 deliveries")
        #expect(calls.complete < 100, "\(calls.complete) completions for 500 events")
    }

    /// Handlers that take most of a reservation: nothing is admitted ahead of them, so no
    /// reservation runs out while its event waits; each event is handled once, on attempt 1.
    @Test func slowHandlersAreNotAdmittedAhead() async throws {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://batched-slow-\(UUID().uuidString.prefix(8).lowercased())")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g", prefetch: 16))
        _ = try await transport.makePublisher(for: endpoint).publish((0..<4).map { Event(source: "/t", type: "t", partitionkey: "k\($0)") })
        let attempts = Locked([Int]())
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(reservation: .seconds(4)), logger: Logger(label: "test")
        ) { delivery in
            attempts.withLock { $0.append(delivery.attempt) }
            try await Task.sleep(for: .milliseconds(2500))  // over half the reservation
        }
        let running = Task { try await consumer.run() }
        defer { running.cancel() }
        try await eventually(.seconds(60), "every event handled and acked") {
            try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 0
        }
        #expect(attempts.withLock { $0 } == Array(repeating: 1, count: 4), "each handled once, none released for running late")
    }

    @Test func theWindowGrowsWhileHandlersAreFastAndStaysSmallWhenTheyAreSlow() {
        var fast = ReservationWindow(limit: 64, reservation: .seconds(60))
        #expect(fast.size == 1 && !fast.admitsAhead)
        for _ in 0..<10 { fast.observe(slowest: .milliseconds(1)) }
        #expect(fast.size == 64 && fast.admitsAhead, "1 ms handlers: the whole prefetch")
        fast.observe(slowest: .seconds(1))
        #expect(fast.size == 15, "1 s handlers: 15 s of work, a quarter of the reservation")
        fast.observe(slowest: .seconds(30))
        #expect(fast.size == 1 && !fast.admitsAhead, "a handler as long as half the reservation: one at a time")
    }
}
