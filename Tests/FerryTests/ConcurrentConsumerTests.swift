import Ferry
import FerryConformance
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import Ferry

/// `ConsumerOptions.concurrency`: several handlers at once, never two of one partition key, each
/// event still acked after its handler.
@Suite struct ConcurrentConsumerTests {
    func run(
        _ events: [Event], concurrency: Int, handler: @escaping Consumer.Handler
    ) async throws -> (transport: MemoryTransport, endpoint: Endpoint, consumer: Consumer, running: Task<Void, any Error>) {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://concurrent-\(UUID().uuidString.prefix(8).lowercased())?partitions=4")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g", prefetch: 64))
        _ = try await transport.makePublisher(for: endpoint).publish(events)
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(concurrency: concurrency), logger: Logger(label: "test"),
            handler: handler)
        return (transport, endpoint, consumer, Task { try await consumer.run() })
    }

    @Test func handlersRunSideBySideUpToTheLimit() async throws {
        let events = (0..<32).map { Event(source: "/t", type: "t", partitionkey: "k\($0)") }
        let state = Locked((running: 0, most: 0, handled: 0))
        let (transport, endpoint, _, running) = try await run(events, concurrency: 8) { _ in
            state.withLock {
                $0.running += 1
                $0.most = max($0.most, $0.running)
            }
            try await Task.sleep(for: .milliseconds(30))
            state.withLock {
                $0.running -= 1
                $0.handled += 1
            }
        }
        defer { running.cancel() }
        try await eventually(.seconds(20), "every event handled") { state.withLock { $0.handled } == 32 }
        let most = state.withLock { $0.most }
        #expect(most > 1 && most <= 8, "\(most) handlers at once")
        try await eventually(.seconds(10), "and acked") { try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 0 }
    }

    @Test func eventsOfOneKeyGoOneAfterAnotherInOrder() async throws {
        let events = (0..<24).map { Event(source: "/t", type: "t", partitionkey: ["a", "b", "c"][$0 % 3], data: Data("\($0)".utf8)) }
        let state = Locked((busy: Set<String>(), overlaps: 0, seen: [String: [Int]]()))
        let (_, _, _, running) = try await run(events, concurrency: 8) { delivery in
            let key = delivery.event.partitionkey!
            state.withLock {
                if !$0.busy.insert(key).inserted { $0.overlaps += 1 }
                $0.seen[key, default: []].append(Int(String(decoding: delivery.event.data, as: UTF8.self))!)
            }
            try await Task.sleep(for: .milliseconds(10))
            state.withLock { _ = $0.busy.remove(key) }
        }
        defer { running.cancel() }
        try await eventually(.seconds(20), "every event handled") { state.withLock { $0.seen.values.reduce(0) { $0 + $1.count } } == 24 }
        #expect(state.withLock { $0.overlaps } == 0, "never two handlers of one key at once")
        for (key, seen) in state.withLock({ $0.seen }) { #expect(seen == seen.sorted(), "key \(key) in order: \(seen)") }
    }

    /// A graceful shutdown stops taking events; every handler in hand runs to its end and its
    /// event is acked before the subscription closes.
    @Test func aGracefulShutdownFinishesEveryHandlerInHand() async throws {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://concurrent-stop-\(UUID().uuidString.prefix(8).lowercased())")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g", prefetch: 64))
        _ = try await transport.makePublisher(for: endpoint).publish(
            (0..<40).map { Event(source: "/t", type: "t", partitionkey: "k\($0)") })
        let state = Locked((started: 0, finished: 0))
        let consumer = Consumer(subscription: subscription, options: ConsumerOptions(concurrency: 8), logger: Logger(label: "test")) { _ in
            state.withLock { $0.started += 1 }
            try await Task.sleep(for: .milliseconds(200))  // a cancelled handler would throw here
            state.withLock { $0.finished += 1 }
        }
        let group = ServiceGroup(services: [consumer], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually(.seconds(10), "handlers started") { state.withLock { $0.started } >= 8 }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let (started, finished) = state.withLock { ($0.started, $0.finished) }
        #expect(started == finished, "every handler in hand ran to its end")
        #expect(started < 40, "and no new one started after the shutdown")
        let lag = try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag }
        #expect(lag == 40 - finished, "each finished event was acked before the subscription closed")
    }

    @Test func keyedWorkHoldsAKeysItemsForItsHandler() {
        var work = KeyedWork<Int>(limit: 3)
        #expect(work.admit(1, key: "a") == .start)
        #expect(work.admit(2, key: "a") == .queued)
        #expect(work.admit(3, key: nil) == .start)
        #expect(!work.hasRoom, "three held")
        #expect(work.finish(key: "a") == 2, "the handler of a takes 2 next")
        #expect(work.hasRoom)
        #expect(work.finish(key: "a") == nil, "a is free")
        #expect(work.admit(4, key: "a") == .start)
        #expect(work.finish(key: nil) == nil)
    }
}
