import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRedis

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

    @Test func keepsAnOutcomeWithTheDoneMark() async throws {
        try await IdempotencyStoreContract.keepsAnOutcomeWithTheDoneMark(try RedisIdempotencyStore(url))
    }

    @Test func batchesActAsOneCallPerKey() async throws {
        try await IdempotencyStoreContract.batchesActAsOneCallPerKey(try RedisIdempotencyStore(url))
    }

    /// Values Ferry did not write under its keys (another program's, another type) used to hold
    /// an event back for good; they count as free.
    @Test func foreignValuesUnderItsKeysDoNotHoldAnEventBack() async throws {
        let store = try RedisIdempotencyStore(url)
        let redis = try RedisEndpoint(try Endpoint(url))
        let prefix = redis.stream
        try await BlockingExecutor(label: "test").run { () throws in
            let connection = try RedisConnection(redis)
            _ = try connection.command(["SET", "\(prefix):garbage", "something else"])
            _ = try connection.command(["HSET", "\(prefix):hash", "a", "b"])
            _ = try connection.command(["SET", "\(prefix)#attempts:counted", "not a number"])
            _ = try connection.command(["SET", "\(prefix):legacy", "reserved"])  // no expiry
            _ = try connection.command(["SET", "\(prefix):future", "r:3:99999999999999"])  // ends in 3,000 years
            var binary = RedisCommand(["SET", "\(prefix):binary"])
            binary.append(Data([0xFF, 0xFE, 0x00, 0x72]))  // not UTF-8
            _ = try connection.pipeline([binary])
        }
        for key in ["garbage", "hash", "counted", "legacy", "binary"] {
            #expect(try await store.reserve(key, for: .seconds(30)) == .acquired(attempt: 1), "\(key)")
        }
        #expect(try await store.reserve("future", for: .seconds(30)) == .acquired(attempt: 4), "an end no reservation has")
    }

    /// A reservation is read back from a value anyone with access may have written.
    @Test func reservationsAreReadWithBounds() {
        #expect(RedisIdempotencyStore.reservation("r:3:1700000000000") == (3, 1_700_000_000_000))
        for value in ["", "r", "r:", "r:1", "r::5", "r:x:5", "r:0:5", "r:-2:5", "r:99999999999999999999:5", "r:1:5:6", "R:1:5", "done"] {
            #expect(RedisIdempotencyStore.reservation(value) == (0, nil), "\(value)")
        }
    }

    @Test func keysOutliveTheProcessThatWroteThem() async throws {
        let writer = try RedisIdempotencyStore(url)
        _ = try await writer.reserve("kept", for: .seconds(30))
        try await writer.complete("kept", retention: .seconds(60))
        let afterRestart = try RedisIdempotencyStore(url)  // a new connection, as a restarted process has
        #expect(try await afterRestart.reserve("kept", for: .seconds(30)) == .done)
    }
}
