import Ferry
import FerryPostgres
import Foundation
import PostgresNIO

/// `ferry relay` draining a PostgreSQL outbox into a Redis stream (dedup on, memory store)
/// against a raw loop doing the same with the same clients, a batch at a time: BEGIN, SELECT …
/// ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED, an XADD pipeline, DELETE, COMMIT. Each drains
/// its own copy of the same rows and is timed by watching its sink fill.
struct OutboxBenchmark {
    let urls: BrokerURLs
    let relay: RelayBenchmark
    let workload: Workload
    let postgres: String

    func run(events: Int) async throws -> [BenchmarkRow] {
        let run = "bench_\(UUID().uuidString.prefix(8).lowercased())_outbox"
        let outboxes = Transports([PostgresOutbox.transport()])
        let client = FerryClient(transports: outboxes)
        let redis = try RawRedis(host: urls.host, port: urls.redisPort)
        var rates: [String: [Double]] = [:]
        for round in 1...workload.repeats {
            let (ferryTable, rawTable) = ("\(run)_\(round)_ferry", "\(run)_\(round)_raw")
            Progress.say("outbox: filling two tables with \(events) rows, round \(round) of \(workload.repeats)")
            try await client.fill(table(ferryTable), count: events, workload)
            try await client.fill(table(rawTable), count: events, workload)

            Progress.say("outbox: PostgreSQL → Redis, round \(round) of \(workload.repeats)")
            let ferrySink = "\(run)-\(round)-ferry"
            rates["ferry", default: []].append(
                try await relay.relay(source: table(ferryTable), group: ferrySink, sink: urls.redis(ferrySink)) {
                    try await SinkWatch { try redis.length(of: ferrySink) }.wait(for: events, timeout: .seconds(600))
                }.rate)
            let rawSink = "\(run)-\(round)-raw"
            async let drained: Void = drain(rawTable, into: rawSink, count: events)
            rates["raw", default: []].append(
                try await SinkWatch { try redis.length(of: rawSink) }.wait(for: events, timeout: .seconds(600)).rate)
            try await drained
            try redis.delete([ferrySink, rawSink])
        }
        await outboxes.shutdown()
        let (raw, ferry) = (Rate.percentile(rates["raw"]!, 0.5), Rate.percentile(rates["ferry"]!, 0.5))
        let spread = Rate.spread(rates["raw"]!, rates["ferry"]!).map { "; \($0)" } ?? ""
        return [
            BenchmarkRow(
                section: "Outbox", name: "PostgreSQL outbox → Redis", unit: .eventsPerSecond, raw: raw, ferry: ferry,
                note: "\(events) rows; raw: SELECT … FOR UPDATE SKIP LOCKED + XADD pipeline + DELETE per batch of \(workload.prefetch); "
                    + "`ferry relay` in-flight \(workload.prefetch), dedup on (memory store)\(spread)")
        ]
    }

    func table(_ name: String) -> String {
        postgres + (postgres.contains("?") ? "&" : "?") + "table=\(name)"
    }

    /// The raw loop: one transaction per batch, the rows deleted once Redis has them.
    private func drain(_ table: String, into stream: String, count: Int) async throws {
        let database = try PostgresDatabase(postgres, what: "outbox", table: table, logger: PostgresDatabase.quiet)
        let connection = try await database.connect()
        let redis = try RawRedis(host: urls.host, port: urls.redisPort)
        let blocking = BlockingExecutor(label: "bench.outbox")
        var copied = 0
        while copied < count {
            try await connection.query("BEGIN", logger: PostgresDatabase.quiet)
            let rows = try await connection.query(
                "SELECT id, event, headers FROM \(unescaped: table) ORDER BY id LIMIT \(workload.prefetch) FOR UPDATE SKIP LOCKED",
                logger: PostgresDatabase.quiet
            ).collect()
            var ids: [Int64] = []
            var entries: [[(Data, Data)]] = []
            for row in rows {
                let (id, event, headers) = try row.decode((Int64, ByteBuffer, String).self)
                ids.append(id)
                entries.append([(Data("event".utf8), Data(buffer: event)), (Data("headers".utf8), Data(headers.utf8))])
            }
            let batch = entries
            try await blocking.run { () throws in try redis.add(stream: stream, batch) }
            try await connection.query("DELETE FROM \(unescaped: table) WHERE id = ANY(\(ids))", logger: PostgresDatabase.quiet)
            try await connection.query("COMMIT", logger: PostgresDatabase.quiet)
            copied += rows.count
            if rows.isEmpty { throw BenchmarkFailure("raw outbox loop: \(table) ran dry after \(copied) of \(count) rows") }
        }
        try await connection.close()
    }
}
