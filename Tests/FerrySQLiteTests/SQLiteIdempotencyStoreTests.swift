import Ferry
import FerrySQLite
import Foundation
import Testing

@Suite struct SQLiteIdempotencyStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/idempotency.db").path

    @Test func reserveCompleteRelease() async throws {
        let store = try SQLiteIdempotencyStore(path: path)
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        #expect(try await store.reserve("a", for: .seconds(30)) == .inProgress)
        try await store.release("a")
        #expect(try await store.reserve("a", for: .seconds(30)) == .acquired)
        try await store.complete("a", retention: .seconds(60))
        try await store.release("a")
        #expect(try await store.reserve("a", for: .seconds(30)) == .done)
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        let store = try SQLiteIdempotencyStore(path: path)
        #expect(try await store.reserve("crashed", for: .milliseconds(100)) == .acquired)
        try await Task.sleep(for: .milliseconds(200))  // the reservation's own expiry is what is tested
        #expect(try await store.reserve("crashed", for: .seconds(30)) == .acquired)
    }

    @Test func keysSurviveARestart() async throws {
        do {
            let before = try SQLiteIdempotencyStore(path: path)
            _ = try await before.reserve("kept", for: .seconds(30))
            try await before.complete("kept", retention: .seconds(60))
        }
        let after = try SQLiteIdempotencyStore(path: path)  // a new process opening the same file
        #expect(try await after.reserve("kept", for: .seconds(30)) == .done)
    }

    @Test func anUnwritablePathIsNamed() {
        let error = #expect(throws: FerryError.self) { try SQLiteIdempotencyStore(path: "/proc/ferry/nope.db") }
        #expect(error?.message.contains("/proc/ferry/nope.db") == true)
    }
}
