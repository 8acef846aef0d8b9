import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRedis

/// Tests that restart the local Redis. scripts/test runs them after everything else, alone.
@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisOutageTests {
    let transport = RedisTransport()

    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(source: "/redis-tests", type: "test.event", extensions: ["seq": String($0)], data: Data("\($0)".utf8)) }
    }

    @Test func aRestartWithAOFLosesNoAcknowledgedPublish() async throws {
        let endpoint = try Endpoint("\(redisURL!)/ferry-aof-\(UUID().uuidString.prefix(8).lowercased())")
        let publisher = try await transport.makePublisher(for: endpoint)
        let before = events(200)
        _ = try await publisher.publish(before)  // every one acknowledged by XADD's reply
        try await LocalBrokers.restart("redis")
        let after = events(100)
        _ = try await publisher.publish(after)  // the publisher reconnects by itself
        await publisher.close()

        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "after-restart"))
        let got = try await subscription.take(300, within: .seconds(30), "every event published before and after the restart")
        for delivery in got { try await delivery.ack() }
        await subscription.close()
        #expect(Set(got.map(\.event.id)) == Set((before + after).map(\.id)))
    }

    /// A server that cannot take writes for now (here it turns replica of a master that does not
    /// answer, so XADD says READONLY; a restarting one says LOADING) is waited for, not taken
    /// as a refusal for good: the relay used to dead-letter such events as `rejected`.
    @Test func aReadOnlyMomentIsWaitedOut() async throws {
        let endpoint = try Endpoint("\(redisURL!)/ferry-readonly-\(UUID().uuidString.prefix(8).lowercased())")
        let admin = try RedisEndpoint(endpoint)
        func run(_ command: [String]) async throws -> String? {
            try await BlockingExecutor(label: "test").run { () throws in try RedisConnection(admin).command(command).text }
        }
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish(events(1)[0])
        #expect(try await run(["REPLICAOF", "127.0.0.1", "1"]) == "OK")
        let publishing = Task { try await publisher.publish(events(5)) }
        try await Task.sleep(for: .seconds(2))  // the time Redis refuses writes; the publish must still be waiting
        #expect(try await run(["REPLICAOF", "NO", "ONE"]) == "OK")
        let receipts = try await publishing.value
        #expect(receipts.count == 5)
        #expect(try await run(["XLEN", admin.stream]) == "6")
        await publisher.close()
    }
}
