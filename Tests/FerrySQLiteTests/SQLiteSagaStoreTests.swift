import Ferry
import FerryConformance
import FerrySQLite
import Foundation
import Testing

@Suite struct SQLiteSagaStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/sagas.db").path

    @Test func savesOnlyOnTheVersionRead() async throws {
        try await SagaStoreContract.savesOnlyOnTheVersionRead(try SQLiteSagaStore(path: path))
    }

    @Test func oneOfConcurrentWritersWins() async throws {
        try await SagaStoreContract.oneOfConcurrentWritersWins(try SQLiteSagaStore(path: path))
    }

    @Test func listsTheNewestFirst() async throws {
        try await SagaStoreContract.listsTheNewestFirst(try SQLiteSagaStore(path: path))
    }
}
