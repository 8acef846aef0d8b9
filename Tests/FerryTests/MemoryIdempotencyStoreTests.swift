import Ferry
import FerryConformance
import Testing

@Suite struct MemoryIdempotencyStoreTests {
    @Test func reserveCompleteRelease() async throws {
        try await IdempotencyStoreContract.reserveCompleteRelease(MemoryIdempotencyStore())
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        try await IdempotencyStoreContract.expiredReservationIsFree(MemoryIdempotencyStore())
    }

    @Test func aForgottenKeyCountsAfresh() async throws {
        try await IdempotencyStoreContract.forgetStartsAfresh(MemoryIdempotencyStore())
    }

    @Test func keepsAnOutcomeWithTheDoneMark() async throws {
        try await IdempotencyStoreContract.keepsAnOutcomeWithTheDoneMark(MemoryIdempotencyStore())
    }

    @Test func batchesActAsOneCallPerKey() async throws {
        try await IdempotencyStoreContract.batchesActAsOneCallPerKey(MemoryIdempotencyStore())
    }

    @Test func staysWithinItsCapacityDroppingTheLeastRecentlyUsed() async throws {
        let store = MemoryIdempotencyStore(capacity: 100)
        for index in 0..<5000 {
            try await store.complete("k\(index)", retention: .seconds(60))
        }
        #expect(store.count == 100)
        #expect(try await store.reserve("k4999", for: .seconds(1)) == .done)
        #expect(try await store.reserve("k0", for: .seconds(1)) == .acquired(attempt: 1))
    }

    /// A key used again and again stays while thousands of others come and go: its recency is
    /// kept through the compactions of the eviction order, and so is its attempt count.
    @Test func aKeyInUseSurvivesEvictionAndCompaction() async throws {
        let store = MemoryIdempotencyStore(capacity: 100)
        for index in 0..<5000 {
            #expect(try await store.reserve("hot", for: .zero) == .acquired(attempt: index + 1))
            try await store.complete("k\(index)", retention: .seconds(60))
        }
        #expect(store.count == 100)
        #expect(try await store.reserve("hot", for: .seconds(1)) == .acquired(attempt: 5001))
        #expect(try await store.reserve("k4999", for: .seconds(1)) == .done)
        #expect(try await store.reserve("k4900", for: .seconds(1)) == .acquired(attempt: 1))
    }
}
