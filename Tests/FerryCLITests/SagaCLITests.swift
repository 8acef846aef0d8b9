import Ferry
import FerryPostgres
import FerryRedis
import FerrySQLite
import Foundation
import Testing

/// `ferry saga list` and `ferry saga show` read what a saga runner keeps, in SQLite, Redis and
/// PostgreSQL.
@Suite struct SagaCLITests {
    static var stores: [String] {
        let sqlite = "sqlite://" + FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/sagas.db").path
        let redis = ProcessInfo.processInfo.environment["FERRY_REDIS_URL"].map {
            "\($0)/ferry-sagas-\(UUID().uuidString.prefix(8).lowercased())"
        }
        let postgres = ProcessInfo.processInfo.environment["FERRY_POSTGRES_URL"].map {
            "\($0)\($0.contains("?") ? "&" : "?")table=sagas_\(UUID().uuidString.prefix(8).lowercased())"
        }
        return [sqlite] + [redis, postgres].compactMap { $0 }
    }

    @Test(arguments: stores)
    func listAndShowPrintTheInstances(_ url: String) async throws {
        let store: any SagaStore =
            if url.hasPrefix("sqlite") {
                try SQLiteSagaStore(path: String(url.dropFirst("sqlite://".count)))
            } else if url.hasPrefix("redis") {
                try RedisSagaStore(url)
            } else {
                try PostgresSagaStore(url)
            }
        var paid = SagaRecord(saga: "order", id: "o-1", version: 3, status: .completed, step: 1, state: Data(#"{"receipt":"r-1"}"#.utf8))
        paid.record(Event(id: "e-1", source: "/shop", type: "order.placed"), "started")
        paid.record(Event(id: "e-2", source: "/pay", type: "payment.charged"), "payment done")
        #expect(try await store.save(paid, expected: 0))
        #expect(
            try await store.save(SagaRecord(saga: "refund", id: "x-9", version: 1, state: Data("{}".utf8), updatedMicros: 5), expected: 0))

        let list = try await FerryProcess.run(["saga", "list", url])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(list.stdout)")
        #expect(
            lines.contains { $0.hasPrefix("order o-1 completed step=1 version=3") && $0.hasSuffix("last=payment done") }, "\(list.stdout)")
        #expect(lines.contains { $0.hasPrefix("refund x-9 running") }, "\(list.stdout)")

        let show = try await FerryProcess.run(["saga", "show", url, "o-1", "--saga", "order", "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let shown = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect(shown?["status"] as? String == "completed")
        #expect((shown?["state"] as? [String: String])?["receipt"] == "r-1")
        #expect((shown?["history"] as? [[String: String]])?.map { $0["what"] } == ["started", "payment done"])

        let missing = try await FerryProcess.run(["saga", "show", url, "o-404"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no instance 'o-404'"), "\(missing.stderr)")
    }
}
