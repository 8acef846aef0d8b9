import Ferry
import FerryConformance
import FerrySQLite
import Foundation
import Testing

@Suite struct SQLiteIdempotencyStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/idempotency.db").path

    @Test func reserveCompleteRelease() async throws {
        try await IdempotencyStoreContract.reserveCompleteRelease(try SQLiteIdempotencyStore(path: path))
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        try await IdempotencyStoreContract.expiredReservationIsFree(try SQLiteIdempotencyStore(path: path))
    }

    @Test func aForgottenKeyCountsAfresh() async throws {
        try await IdempotencyStoreContract.forgetStartsAfresh(try SQLiteIdempotencyStore(path: path))
    }

    @Test func keepsAnOutcomeWithTheDoneMark() async throws {
        try await IdempotencyStoreContract.keepsAnOutcomeWithTheDoneMark(try SQLiteIdempotencyStore(path: path))
    }

    @Test func batchesActAsOneCallPerKey() async throws {
        try await IdempotencyStoreContract.batchesActAsOneCallPerKey(try SQLiteIdempotencyStore(path: path))
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
