import Ferry
import FerryConformance
import FerryRedis
import Foundation
import Testing

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
}
