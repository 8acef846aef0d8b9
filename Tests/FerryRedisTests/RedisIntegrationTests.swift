import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRedis

/// Redis-specific behaviour, against the local server that scripts/test starts.
@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisIntegrationTests {
    let transport = RedisTransport()

    /// An ACL user made for this test, so AUTH with user and password is exercised for real.
    func aclUser() async throws -> (user: String, password: String) {
        let user = "ferry-\(UUID().uuidString.prefix(8).lowercased())"
        let password = "pw-\(UUID().uuidString)"
        let endpoint = try RedisEndpoint(try Endpoint("\(redisURL!)/unused"))
        let created = try await BlockingExecutor(label: "test").run { () throws in
            try RedisConnection(endpoint).command(["ACL", "SETUSER", user, "on", ">\(password)", "~*", "&*", "+@all"]).text
        }
        #expect(created == "OK")
        return (user, password)
    }

    @Test func anACLUserPublishesAndConsumes() async throws {
        let (user, password) = try await aclUser()
        let url =
            redisURL!.replacingOccurrences(of: "redis://", with: "redis://\(user):\(password)@")
            + "/ferry-acl-\(UUID().uuidString.prefix(8).lowercased())?db=3"
        let endpoint = try Endpoint(url)
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let publisher = try await transport.makePublisher(for: endpoint)
        let receipt = try await publisher.publish(Event(source: "/acl", type: "t"))
        let delivery = try await subscription.take(1, within: .seconds(10), "the event")[0]
        #expect(delivery.event.id == receipt.eventID)
        try await delivery.ack()
        await subscription.close()
        await publisher.close()
    }

    @Test func aWrongPasswordIsRefusedWithoutShowingIt() async throws {
        let (user, _) = try await aclUser()
        let url = redisURL!.replacingOccurrences(of: "redis://", with: "redis://\(user):not-the-password@") + "/x"
        let error = await #expect(throws: FerryError.self) {
            _ = try await transport.subscribe(to: try Endpoint(url), options: SubscribeOptions(group: "g"))
        }
        #expect(error?.message.contains("refused the login of user '\(user)'") == true, "\(error?.message ?? "")")
        #expect(error?.description.contains("not-the-password") == false)
    }

    /// Debian's hiredis has no TLS: `rediss://` says so, and how to get there anyway, instead of
    /// "unknown scheme" or a plain connection.
    @Test func redissSaysWhyItCannotWorkAndWhatToDo() async throws {
        let error = await #expect(throws: FerryError.self) {
            _ = try await transport.makePublisher(for: try Endpoint("rediss://user:secret-pw@redis.example.com:6380/orders"))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("hiredis 0.14 has no TLS") == true, "\(error?.message ?? "")")
        #expect(error?.remedy?.contains("redis://127.0.0.1:6380") == true)
        #expect(error?.description.contains("secret-pw") == false)
    }
}
