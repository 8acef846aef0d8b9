import Ferry
import Testing

@Suite struct MemoryIdempotencyStoreTests {
    @Test func reserveCompleteRelease() async throws {
        let store = MemoryIdempotencyStore()
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        #expect(try await store.reserve("a", for: .seconds(30)) == .inProgress)
        try await store.release("a")
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        try await store.complete("a", retention: .seconds(60))
        try await store.release("a")
        #expect(try await store.reserve("a", for: .seconds(30)) == .done)
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        let store = MemoryIdempotencyStore()
        #expect(try await store.reserve("crashed", for: .milliseconds(100)) == .acquired)
        try await Task.sleep(for: .milliseconds(200))  // the reservation's own expiry is what is tested
        #expect(try await store.reserve("crashed", for: .seconds(30)) == .acquired)
    }

    @Test func staysWithinItsCapacityDroppingTheLeastRecentlyUsed() async throws {
        let store = MemoryIdempotencyStore(capacity: 100)
        for index in 0..<5000 {
            try await store.complete("k\(index)", retention: .seconds(60))
        }
        #expect(store.count == 100)
        #expect(try await store.reserve("k4999", for: .seconds(1)) == .done)
        #expect(try await store.reserve("k0", for: .seconds(1)) == .acquired)
    }
}
