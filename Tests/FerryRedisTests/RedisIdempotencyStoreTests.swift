import Ferry
import FerryConformance
import FerryRedis
import Foundation
import Testing

@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisIdempotencyStoreTests {
    let url = "\(redisURL!)/ferry-idempotency-\(UUID().uuidString.prefix(8).lowercased())"

    @Test func reserveCompleteRelease() async throws {
        try await IdempotencyStoreContract.reserveCompleteRelease(try RedisIdempotencyStore(url))
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        try await IdempotencyStoreContract.expiredReservationIsFree(try RedisIdempotencyStore(url))
    }

    @Test func aForgottenKeyCountsAfresh() async throws {
        try await IdempotencyStoreContract.forgetStartsAfresh(try RedisIdempotencyStore(url))
    }

    @Test func keysOutliveTheProcessThatWroteThem() async throws {
        let writer = try RedisIdempotencyStore(url)
        _ = try await writer.reserve("kept", for: .seconds(30))
        try await writer.complete("kept", retention: .seconds(60))
        let afterRestart = try RedisIdempotencyStore(url)  // a new connection, as a restarted process has
        #expect(try await afterRestart.reserve("kept", for: .seconds(30)) == .done)
    }
}
