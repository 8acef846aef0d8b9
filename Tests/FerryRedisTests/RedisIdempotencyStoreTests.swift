import Ferry
import FerryRedis
import Foundation
import Testing

@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisIdempotencyStoreTests {
    let url = "\(redisURL!)/ferry-idempotency-\(UUID().uuidString.prefix(8).lowercased())"

    @Test func reserveCompleteRelease() async throws {
        let store = try RedisIdempotencyStore(url)
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        #expect(try await store.reserve("a", for: .seconds(30)) == .inProgress)
        try await store.release("a")
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        try await store.complete("a", retention: .seconds(60))
        try await store.release("a")  // a done mark is never released
        #expect(try await store.reserve("a", for: .seconds(30)) == .done)
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        let store = try RedisIdempotencyStore(url)
        #expect(try await store.reserve("crashed", for: .milliseconds(200)) == .acquired)
        try await Task.sleep(for: .milliseconds(400))  // the reservation's own expiry is what is tested
        #expect(try await store.reserve("crashed", for: .seconds(30)) == .acquired)
    }

    @Test func keysOutliveTheProcessThatWroteThem() async throws {
        let writer = try RedisIdempotencyStore(url)
        _ = try await writer.reserve("kept", for: .seconds(30))
        try await writer.complete("kept", retention: .seconds(60))
        let afterRestart = try RedisIdempotencyStore(url)  // a new connection, as a restarted process has
        #expect(try await afterRestart.reserve("kept", for: .seconds(30)) == .done)
    }
}
