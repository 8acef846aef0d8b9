import Ferry
import FerryConformance
import FerryRelay
import Foundation
import Logging
import Testing

/// The route's own rules, on the in-memory backend (the brokers are covered by the CLI tests).
@Suite struct RelayRouteTests {
    let transport = MemoryTransport()

    func route(_ source: String, _ sink: String, maxHops: Int = 5, upcastTo: Int? = nil, schemas: SchemaRegistry? = nil) throws
        -> RelayRoute
    {
        let configuration = RouteConfiguration(
            name: "test", source: try Endpoint(source), group: "relay", sinks: [try Endpoint(sink)], types: [], subjectPrefix: nil,
            upcastTo: upcastTo, maxHops: maxHops, inFlight: 32, retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(50)))
        return RelayRoute(
            configuration: configuration, transports: Transports([transport]), store: MemoryIdempotencyStore(), schemas: schemas,
            logger: Logger(label: "test"))
    }

    @Test func upcastingLeavesTypesTheCatalogDoesNotKnowAsTheyAre() async throws {
        let catalog = try SchemaCatalog(directory: #filePath.components(separatedBy: "/Tests/")[0] + "/Config/schemas")
        let relay = try route("memory://types-in", "memory://types-out", upcastTo: 2, schemas: SchemaRegistry(catalog: catalog))
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let stranger = Event(source: "/t", type: "com.example.unknown", dataversion: 1, data: Data("not even JSON".utf8))
        _ = try await transport.makePublisher(for: try Endpoint("memory://types-in")).publish(stranger)
        let copied = try await transport.subscribe(to: try Endpoint("memory://types-out"), options: SubscribeOptions(group: "check"))
        let copy = try await copied.take(1, within: .seconds(10), "the uncatalogued event")[0]
        #expect(copy.event.id == stranger.id)
        #expect(copy.event.data == stranger.data && copy.event.dataversion == 1, "copied unchanged, not dead-lettered")
    }

    @Test func keepsTheOrderOfEachPartitionKey() async throws {
        let relay = try route("memory://order-in?partitions=3", "memory://order-out")
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let keys = ["a", "b", "c", "d", "e"]
        let events = (0..<300).map { Event(source: "/t", type: "t", partitionkey: keys[$0 % 5], extensions: ["seq": String($0)]) }
        let publisher = try await transport.makePublisher(for: try Endpoint("memory://order-in?partitions=3"))
        _ = try await publisher.publish(events)
        let reader = try await transport.subscribe(
            to: try Endpoint("memory://order-out"), options: SubscribeOptions(group: "check", prefetch: 1000))
        let copies = try await reader.take(events.count, within: .seconds(20), "every copy")
        for key in keys {
            let sequence = copies.filter { $0.event.partitionkey == key }.compactMap { Int($0.event.extensions["seq"] ?? "") }
            #expect(sequence == sequence.sorted(), "order of key \(key)")
            #expect(sequence.count == 60)
        }
        #expect(Set(copies.map(\.event.id)) == Set(events.map(\.id)), "ids unchanged across the hop")
    }

    @Test func anEventPastTheHopLimitIsDeadLetteredAsALoop() async throws {
        let relay = try route("memory://loop-in", "memory://loop-out", maxHops: 2)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let publisher = try await transport.makePublisher(for: try Endpoint("memory://loop-in"))
        let looping = Event(source: "/t", type: "t", headers: [RelayRoute.hopsHeader: "2"])
        let fine = Event(source: "/t", type: "t", headers: [RelayRoute.hopsHeader: "1"])
        _ = try await publisher.publish([looping, fine])
        let copied = try await transport.subscribe(to: try Endpoint("memory://loop-out"), options: SubscribeOptions(group: "check"))
        let copy = try await copied.take(1, within: .seconds(10), "the event under the limit")[0]
        #expect(copy.event.id == fine.id)
        #expect(copy.event.headers[RelayRoute.hopsHeader] == "2")
        let dlq = try await transport.subscribe(to: try Endpoint("memory://loop-in.dlq"), options: SubscribeOptions(group: "check"))
        let letter = try await dlq.take(1, within: .seconds(10), "the looping event")[0]
        #expect(letter.event.id == looping.id)
        #expect(DeadLetterRecord(headers: letter.event.headers)?.reason.code == .loop)
    }

    /// An idempotency store that is down for its first calls, as a Redis store during a restart.
    final class FlakyStore: IdempotencyStore {
        let failures = Locked(3)
        let store = MemoryIdempotencyStore()
        func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
            let down = failures.withLock { left in
                defer { left -= 1 }
                return left > 0
            }
            if down { throw FerryError(.connectionFailed, "the store is down", isRetriable: true) }
            return try await store.reserve(key, for: ttl)
        }
        func complete(_ key: String, retention: Duration) async throws { try await store.complete(key, retention: retention) }
        func release(_ key: String) async throws { try await store.release(key) }
        func forget(_ key: String) async throws { try await store.forget(key) }
        func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
            try await store.complete(key, retention: retention, keeping: outcome)
        }
        func outcome(of key: String) async throws -> Data? { try await store.outcome(of: key) }
    }

    /// A delivery the route could not settle used to stay with it until a restart. Handing it
    /// back counts no attempt: with two allowed, three store failures must not dead-letter it.
    @Test func anEventTheStoreFailedOnComesBackAndIsCopied() async throws {
        let configuration = RouteConfiguration(
            name: "flaky", source: try Endpoint("memory://flaky-in"), group: "relay", sinks: [try Endpoint("memory://flaky-out")],
            retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(20), jitter: 0))
        let relay = RelayRoute(
            configuration: configuration, transports: Transports([transport]), store: FlakyStore(), schemas: nil,
            logger: Logger(label: "test"))
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let event = Event(source: "/t", type: "t")
        _ = try await transport.makePublisher(for: try Endpoint("memory://flaky-in")).publish(event)
        let copied = try await transport.subscribe(to: try Endpoint("memory://flaky-out"), options: SubscribeOptions(group: "check"))
        let copy = try await copied.take(1, within: .seconds(10), "the copy once the store is back")[0]
        #expect(copy.event.id == event.id)
    }

    @Test func aForgedNegativeHopCountDoesNotLiftTheLimit() async throws {
        let relay = try route("memory://hops-in", "memory://hops-out", maxHops: 2)
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        let publisher = try await transport.makePublisher(for: try Endpoint("memory://hops-in"))
        _ = try await publisher.publish(Event(source: "/t", type: "t", headers: [RelayRoute.hopsHeader: "-1000000"]))
        let copied = try await transport.subscribe(to: try Endpoint("memory://hops-out"), options: SubscribeOptions(group: "check"))
        let copy = try await copied.take(1, within: .seconds(10), "the copy")[0]
        #expect(copy.event.headers[RelayRoute.hopsHeader] == "1", "counted from 0, so the limit still holds after two more relays")
    }

    @Test func anEventASinkRefusesForGoodIsDeadLetteredAsRejected() async throws {
        let relay = try route("memory://reject-in", "memory://reject-out")
        let running = Task { try await relay.run() }
        defer { running.cancel() }
        // A plain producer's "Content-Type" header is a name the sink's wire mapping reserves:
        // the sink refuses the event, and no retry can change that.
        let publisher = try await transport.makePublisher(for: try Endpoint("memory://reject-in"))
        _ = try await publisher.publish(
            raw: RawMessage(
                body: Data("{}".utf8),
                headers: ["ce_specversion": "1.0", "ce_id": "r1", "ce_source": "/t", "ce_type": "t", "Content-Type": "text/plain"]))
        let dlq = try await transport.subscribe(to: try Endpoint("memory://reject-in.dlq"), options: SubscribeOptions(group: "check"))
        let letter = try await dlq.take(1, within: .seconds(10), "the refused event")[0]
        let record = DeadLetterRecord(headers: letter.event.headers)
        #expect(letter.event.id == "r1")
        #expect(record?.reason.code == .rejected)
        #expect(record?.reason.message.contains("memory://reject-out") == true, "\(record?.reason.message ?? "")")
        #expect(relay.statistics.copied == 0)
    }
}
