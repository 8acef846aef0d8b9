import Ferry
import FerryConformance
import FerryRabbitMQ
import Foundation

/// `ferry relay` (a separate process, dedup on) against a raw C loop doing the same copy:
/// librdkafka consumer → hiredis XADD pipeline or rabbitmq-c publish with confirms, offsets
/// stored only after the sink confirmed. Both read the same seeded topic with their own group
/// and are timed the same way, by watching their sink fill.
struct RelayBenchmark {
    let ferryBinary: String
    let urls: BrokerURLs
    let ferry: FerryClient
    let workload: Workload

    /// Kafka → Redis and Kafka → RabbitMQ, `events` each: relay and raw loop take turns,
    /// `workload.repeats` rounds, each round with its own groups and sinks; the median counts.
    func throughput(events: Int) async throws -> [BenchmarkRow] {
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())-relay"
        Progress.say("relay: seeding \(events) events")
        try await ferry.fill(urls.kafka(run), count: events, workload)
        let kafka = RawKafka(brokers: urls.kafkaBrokers)
        let blocking = BlockingExecutor(label: "bench.copy")
        let redis = try RawRedis(host: urls.host, port: urls.redisPort)
        let rabbit = try urls.rabbitMQ(confirms: false)
        var rates: [String: [Double]] = [:]
        for round in 1...workload.repeats {
            Progress.say("relay: Kafka → Redis, round \(round) of \(workload.repeats)")
            let redisSink = "\(run)-\(round)-redis"
            rates["redis-ferry", default: []].append(
                try await relay(source: urls.kafka(run), group: "\(redisSink)-ferry", sink: urls.redis("\(redisSink)-ferry")) {
                    try await SinkWatch { try redis.length(of: "\(redisSink)-ferry") }.wait(for: events, timeout: .seconds(600))
                }.rate)
            async let rawToRedis: Void = blocking.run { [urls, workload] () throws in
                let sink = try RawRedis(host: urls.host, port: urls.redisPort)
                try kafka.read(topic: run, group: "\(redisSink)-raw", count: events, prefetch: workload.prefetch) { records in
                    try sink.add(
                        stream: "\(redisSink)-raw",
                        records.map { record in
                            record.headers.map { (Data($0.name.utf8), $0.value) } + [
                                (Data("key".utf8), record.key ?? Data()), (Data("data".utf8), record.value),
                            ]
                        })
                }
            }
            rates["redis-raw", default: []].append(
                try await SinkWatch { try redis.length(of: "\(redisSink)-raw") }.wait(for: events, timeout: .seconds(600)).rate)
            try await rawToRedis
            try redis.delete(["\(redisSink)-ferry", "\(redisSink)-raw"])

            Progress.say("relay: Kafka → RabbitMQ, round \(round) of \(workload.repeats)")
            let queue = "\(run)-\(round)-amqp"
            for name in ["\(queue)-ferry", "\(queue)-raw"] { try rabbit.declare(queue: name) }
            rates["amqp-ferry", default: []].append(
                try await relay(source: urls.kafka(run), group: "\(queue)-ferry", sink: urls.amqp(queue: "\(queue)-ferry")) {
                    try await SinkWatch { try rabbit.depth(of: "\(queue)-ferry") }.wait(for: events, timeout: .seconds(600))
                }.rate)
            async let rawToRabbit: Void = blocking.run { [urls, workload] () throws in
                let sink = try urls.rabbitMQ(confirms: true)
                try kafka.read(topic: run, group: "\(queue)-raw", count: events, prefetch: workload.prefetch) { records in
                    try sink.publishConfirmed(
                        queue: "\(queue)-raw",
                        records.map { record in
                            AMQPMessage(
                                headers: Dictionary(
                                    record.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { $1 }),
                                body: record.value)
                        })
                }
            }
            rates["amqp-raw", default: []].append(
                try await SinkWatch { try rabbit.depth(of: "\(queue)-raw") }.wait(for: events, timeout: .seconds(600)).rate)
            try await rawToRabbit
            try rabbit.delete(queues: ["\(queue)-ferry", "\(queue)-raw"])
        }

        func row(_ name: String, _ sink: String) -> BenchmarkRow {
            let (raw, relay) = (Rate.percentile(rates["\(sink)-raw"]!, 0.5), Rate.percentile(rates["\(sink)-ferry"]!, 0.5))
            let spread = Rate.spread(rates["\(sink)-raw"]!, rates["\(sink)-ferry"]!).map { "; \($0)" } ?? ""
            return BenchmarkRow(
                section: "Relay", name: name, unit: .eventsPerSecond, raw: raw, ferry: relay, target: "ferry/raw ≥ 0.85",
                met: relay / raw >= 0.85,
                note:
                    "\(events) events; `ferry relay` batch (in-flight) and raw batch \(workload.prefetch); dedup on (memory store)\(spread)"
            )
        }
        return [row("Kafka → Redis", "redis"), row("Kafka → RabbitMQ", "amqp")]
    }

    /// Peak resident memory of the relay copying `events` to Redis, then with Redis frozen.
    func memory(events: Int, frozen: Duration) async throws -> [BenchmarkRow] {
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())-memory"
        Progress.say("memory: seeding \(events) events")
        try await ferry.fill(urls.kafka(run), count: events, workload)
        Progress.say("memory: relaying \(events) events Kafka → Redis")
        let redisAdmin = try RawRedis(host: urls.host, port: urls.redisPort)
        let watch = SinkWatch { try redisAdmin.length(of: run) }
        var copied = SinkWatch.Result(rate: 0)
        _ = try await relay(source: urls.kafka(run), group: "\(run)-relay", sink: urls.redis(run)) { pid in
            copied = try await watch.wait(for: events, pid: pid, timeout: .seconds(3600))
            return copied
        }

        let frozenRun = "\(run)-frozen"
        let frozenEvents = max(events / 5, 20_000)
        Progress.say("memory: relaying \(frozenEvents) events with Redis frozen for \(frozen)")
        try await ferry.fill(urls.kafka(frozenRun), count: frozenEvents, workload)
        let redisPID = try LocalBrokers.pid(of: "redis")
        var before = 0.0
        var whileFrozen = 0.0
        _ = try await relay(source: urls.kafka(frozenRun), group: "\(frozenRun)-relay", sink: urls.redis(frozenRun)) { pid in
            let frozenWatch = SinkWatch { try redisAdmin.length(of: frozenRun) }
            _ = try await frozenWatch.wait(for: frozenEvents / 10, timeout: .seconds(600))
            before = ProcessMemory.resident(pid) ?? 0
            kill(redisPID, SIGSTOP)
            defer { kill(redisPID, SIGCONT) }
            let until = ContinuousClock.now + frozen
            while ContinuousClock.now < until {
                whileFrozen = max(whileFrozen, ProcessMemory.resident(pid) ?? 0)
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(redisPID, SIGCONT)
            return try await frozenWatch.wait(for: frozenEvents, timeout: .seconds(600))
        }
        try redisAdmin.delete([run, frozenRun])
        let fifth = copied.residentAtFifth ?? 0
        let peak = copied.peakResident ?? 0
        return [
            BenchmarkRow(
                section: "Relay memory", name: "resident after the first fifth of \(events) events", unit: .mebibytes, ferry: fifth),
            BenchmarkRow(
                section: "Relay memory", name: "peak resident copying \(events) events Kafka → Redis", unit: .mebibytes, ferry: peak,
                target: "≤ fifth mark + 32 MiB, < 100 MiB", met: peak <= fifth + 32 && peak < 100,
                note: "VmHWM of the relay process; dedup on (memory store, 100,000 keys: full by the fifth mark)"),
            BenchmarkRow(section: "Relay memory", name: "resident before freezing the sink", unit: .mebibytes, ferry: before),
            BenchmarkRow(
                section: "Relay memory", name: "peak resident with Redis frozen (SIGSTOP) for \(frozen)", unit: .mebibytes,
                ferry: whileFrozen,
                target: "≤ before + 32 MiB", met: whileFrozen <= before + 32, note: "all \(frozenEvents) events arrived after SIGCONT"),
        ]
    }

    /// Runs `ferry relay` on one route from the `source` URL, remembering copies in `store`,
    /// while `body` watches it; then stops it with SIGTERM.
    func relay<T>(source: String, group: String, sink: String, store: String = "memory://", _ body: (Int32) async throws -> T)
        async throws -> T
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-\(group)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("relay.yaml")
        try """
        idempotency: \(store)
        routes:
          - name: bench
            source: \(source)
            group: \(group)
            sinks: [\(sink)]
            in-flight: \(workload.prefetch)
        """.write(to: config, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("relay.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ferryBinary)
        process.arguments = ["relay", "--config", config.path, "--log-level", "warning"]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = process.standardError
        try process.run()
        do {
            let result = try await body(process.processIdentifier)
            process.terminate()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BenchmarkFailure("ferry relay exited with \(process.terminationStatus); see \(log.path)")
            }
            return result
        } catch {
            process.terminate()
            throw BenchmarkFailure("relay run failed: \(error); its log: \(log.path)")
        }
    }

    func relay(source: String, group: String, sink: String, store: String = "memory://", _ body: () async throws -> SinkWatch.Result)
        async throws -> SinkWatch.Result
    {
        try await relay(source: source, group: group, sink: sink, store: store) { (_: Int32) in try await body() }
    }
}
