import Ferry
import FerryConformance
import FerryPostgres
import Foundation
import Testing

let postgresURL = ProcessInfo.processInfo.environment["FERRY_POSTGRES_URL"]

/// The idempotency store and the saga store on the PostgreSQL that scripts/brokers starts, each
/// test on tables of its own.
@Suite(.enabled(if: postgresURL != nil, "needs FERRY_POSTGRES_URL (scripts/test sets it)"))
struct PostgresStoreTests {
    let table = "test_\(UUID().uuidString.prefix(8).lowercased())"

    func idempotency() throws -> PostgresIdempotencyStore { try PostgresIdempotencyStore(url(table: table + "_keys")) }
    func sagas() throws -> PostgresSagaStore { try PostgresSagaStore(url(table: table + "_sagas")) }

    func url(table: String) -> String { postgresURL! + (postgresURL!.contains("?") ? "&" : "?") + "table=\(table)" }

    @Test func reserveCompleteRelease() async throws {
        try await IdempotencyStoreContract.reserveCompleteRelease(try idempotency())
    }

    @Test func anExpiredReservationCanBeTakenAgain() async throws {
        try await IdempotencyStoreContract.expiredReservationIsFree(try idempotency())
    }

    @Test func aForgottenKeyCountsAfresh() async throws {
        try await IdempotencyStoreContract.forgetStartsAfresh(try idempotency())
    }

    @Test func keepsAnOutcomeWithTheDoneMark() async throws {
        try await IdempotencyStoreContract.keepsAnOutcomeWithTheDoneMark(try idempotency())
    }

    @Test func batchesActAsOneCallPerKey() async throws {
        try await IdempotencyStoreContract.batchesActAsOneCallPerKey(try idempotency())
    }

    /// Two stores (two processes, as far as the database can tell) racing for one key: one wins.
    @Test func ofConsumersRacingForAKeyOneAcquiresIt() async throws {
        let stores = try (0..<6).map { _ in try idempotency() }
        let won = try await withThrowingTaskGroup(of: Bool.self) { group in
            for store in stores {
                group.addTask {
                    if case .acquired = try await store.reserve("contended", for: .seconds(30)) { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(won == 1)
    }

    @Test func sagaSavesOnlyOnTheVersionRead() async throws {
        try await SagaStoreContract.savesOnlyOnTheVersionRead(try sagas())
    }

    @Test func sagaOneOfConcurrentWritersWins() async throws {
        try await SagaStoreContract.oneOfConcurrentWritersWins(try sagas())
    }

    @Test func sagaListsTheNewestFirst() async throws {
        try await SagaStoreContract.listsTheNewestFirst(try sagas())
    }

    /// A wrong password says where and what to check, and never shows the password; a table
    /// name that is not a plain identifier is refused before any SQL is sent.
    @Test func errorsSayWhatToCheckAndHideThePassword() async throws {
        let server = try Endpoint(postgresURL!)
        let host = server.hosts[0]
        let store = try PostgresSagaStore(
            "postgres://\(server.user ?? "ferry"):not-the-password-s3cret@\(host.name):\(host.port ?? 5432)/\(server.path)"
                + "?sslmode=disable&table=\(table)")
        let error = await #expect(throws: FerryError.self) { _ = try await store.load(saga: "s", id: "i") }
        #expect(error?.message.contains("password authentication failed") == true, "\(error?.message ?? "")")
        #expect(error?.remedy?.contains("password") == true)
        #expect(!"\(error!)".contains("s3cret"))
        #expect(throws: FerryError.self) { try PostgresSagaStore(url(table: "x; DROP TABLE y")) }
        let nowhere = try PostgresIdempotencyStore("postgres://ferry:s3cret@127.0.0.1:\(freeLoopbackPort())/ferry?sslmode=disable")
        let down = await #expect(throws: FerryError.self) { _ = try await nowhere.reserve("k", for: .seconds(1)) }
        #expect(down?.message.contains("cannot reach PostgreSQL at 127.0.0.1:") == true, "\(down?.message ?? "")")
        #expect(down?.isRetriable == true && !"\(down!)".contains("s3cret"))
    }
}
