import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRedis

/// Entries no Ferry producer would write, added with plain XADD; the consumer must deliver
/// each and go on.
@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisHostileInputTests {
    let transport = RedisTransport()

    /// An explicit id beyond what microseconds can hold used to trap every consumer, and every
    /// later automatic id is larger still, so the stream stayed poisoned.
    @Test func anEntryIDBeyondMicrosecondsPoisonsNothing() async throws {
        let endpoint = try Endpoint("\(redisURL!)/ferry-hostile-\(UUID().uuidString.prefix(8).lowercased())")
        let redis = try RedisEndpoint(endpoint)
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let ids = try await BlockingExecutor(label: "test").run { () throws in
            let connection = try RedisConnection(redis)
            return try [
                connection.command(["XADD", redis.stream, "9223372036854776-0", "data", "explicit id"]).text,
                connection.command(["XADD", redis.stream, "*", "data", "automatic id after it"]).text,
            ]
        }
        #expect(ids.first == "9223372036854776-0")
        let got = try await subscription.take(2, within: .seconds(30), "both entries")
        #expect(got.map { String(decoding: $0.event.data, as: UTF8.self) } == ["explicit id", "automatic id after it"])
        #expect(got.allSatisfy { $0.isWrapped && $0.event.time == nil })
        for delivery in got { try await delivery.ack() }
        await subscription.close()
    }
}
