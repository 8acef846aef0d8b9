import Ferry
import FerryConformance
import FerryRedis
import Foundation
import Testing

@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisSagaStoreTests {
    let url = "\(redisURL!)/ferry-sagas-\(UUID().uuidString.prefix(8).lowercased())"

    @Test func savesOnlyOnTheVersionRead() async throws {
        try await SagaStoreContract.savesOnlyOnTheVersionRead(try RedisSagaStore(url))
    }

    @Test func oneOfConcurrentWritersWins() async throws {
        try await SagaStoreContract.oneOfConcurrentWritersWins(try RedisSagaStore(url))
    }

    @Test func listsTheNewestFirst() async throws {
        try await SagaStoreContract.listsTheNewestFirst(try RedisSagaStore(url))
    }
}
