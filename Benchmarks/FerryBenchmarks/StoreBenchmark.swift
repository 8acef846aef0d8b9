import Ferry
import FerryRedis
import FerrySQLite
import Foundation

/// What a durable idempotency store costs: a `Consumer` (a handler that returns at once) on
/// each broker and the relay (Kafka → Redis), with the SQLite and the Redis store against the
/// memory store, in the same run. Stores are called once per batch of deliveries.
struct StoreBenchmark {
    let urls: BrokerURLs
    let ferry: FerryClient
    let relay: RelayBenchmark
    let workload: Workload

    func run(consumerEvents: Int, relayEvents: Int) async throws -> [BenchmarkRow] {
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())-stores"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(run)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var rows: [BenchmarkRow] = []
        for (broker, url) in [("Kafka", urls.kafka), ("RabbitMQ", { urls.amqp(queue: $0) }), ("Redis", urls.redis)]
            as [(String, (String) -> String)]
        {
            let target = url("\(run)-\(broker.lowercased())")
            Progress.say("stores: seeding \(consumerEvents) events on \(broker)")
            // Enough for every run (a RabbitMQ queue is shared by them), with a spare run's worth.
            try await ferry.fill(target, count: consumerEvents * (workload.repeats * 3 + 1), workload)
            var rates: [String: [Double]] = [:]
            for round in 1...workload.repeats {
                Progress.say("stores: Consumer on \(broker), round \(round) of \(workload.repeats)")
                for store in stores(directory, "\(run)-\(broker)-\(round)") {
                    let options = ConsumerOptions(idempotency: try store.open())
                    rates[store.name, default: []].append(
                        try await ferry.consumerRate(target, count: consumerEvents, prefetch: workload.prefetch, options: options))
                }
            }
            rows += self.rows(rates, "\(broker): Consumer", note: "\(consumerEvents) events, prefetch \(workload.prefetch)")
        }

        Progress.say("stores: seeding \(relayEvents) events for the relay")
        try await ferry.fill(urls.kafka(run), count: relayEvents, workload)
        let redis = try RawRedis(host: urls.host, port: urls.redisPort)
        var rates: [String: [Double]] = [:]
        for round in 1...workload.repeats {
            for store in stores(directory, "\(run)-relay-\(round)") {
                Progress.say("stores: relay Kafka → Redis with the \(store.name) store, round \(round) of \(workload.repeats)")
                let sink = "\(run)-\(round)-\(store.name)"
                rates[store.name, default: []].append(
                    try await relay.relay(source: urls.kafka(run), group: sink, sink: urls.redis(sink), store: store.url) {
                        try await SinkWatch { try redis.length(of: sink) }.wait(for: relayEvents, timeout: .seconds(600))
                    }.rate)
                try redis.delete([sink])
            }
        }
        rows += self.rows(rates, "relay Kafka → Redis", note: "\(relayEvents) events, in-flight \(workload.prefetch)")
        return rows
    }

    /// The stores compared, fresh per run: a name, how a `Consumer` opens one, and the URL a
    /// relay is given.
    private func stores(_ directory: URL, _ run: String) -> [(name: String, open: () throws -> any IdempotencyStore, url: String)] {
        let path = directory.appendingPathComponent("\(run).db").path
        let redis = urls.redis("\(run)-dedup")
        return [
            ("memory", { MemoryIdempotencyStore() }, "memory://"),
            ("SQLite", { try SQLiteIdempotencyStore(path: path) }, "sqlite://\(path)"),
            ("Redis", { try RedisIdempotencyStore(redis) }, redis),
        ]
    }

    /// A row per durable store, against the memory store's median.
    private func rows(_ rates: [String: [Double]], _ name: String, note: String) -> [BenchmarkRow] {
        let memory = Rate.percentile(rates["memory"]!, 0.5)
        return ["SQLite", "Redis"].map { store in
            let rate = Rate.percentile(rates[store]!, 0.5)
            let rounds = rates[store]!.map { String(format: "%.0f", $0) }.joined(separator: ", ")
            let memoryRounds = rates["memory"]!.map { String(format: "%.0f", $0) }.joined(separator: ", ")
            return BenchmarkRow(
                section: "Durable idempotency stores", name: "\(name), \(store) store (raw: memory store)", unit: .eventsPerSecond,
                raw: memory, ferry: rate, target: "≥ 0.8 of the memory store", met: rate / memory >= 0.8,
                note: "\(note); rounds: memory \(memoryRounds); \(store) \(rounds)")
        }
    }
}
