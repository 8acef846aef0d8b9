import Ferry
import FerryConformance
import Foundation
import Testing

@Suite struct MemorySagaStoreTests {

    @Test func savesOnlyOnTheVersionRead() async throws {
        try await SagaStoreContract.savesOnlyOnTheVersionRead(MemorySagaStore())
    }

    @Test func oneOfConcurrentWritersWins() async throws {
        try await SagaStoreContract.oneOfConcurrentWritersWins(MemorySagaStore())
    }

    @Test func listsTheNewestFirst() async throws {
        try await SagaStoreContract.listsTheNewestFirst(MemorySagaStore())
    }
}
