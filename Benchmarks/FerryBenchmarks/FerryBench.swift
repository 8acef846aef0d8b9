import ArgumentParser
import CHiredis
import CRDKafka
import CRabbitMQ
import Ferry
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging

/// `ferry-bench`: Ferry against the raw C clients and the Python peers, on the local brokers
/// that scripts/brokers starts. Run it through scripts/bench, which builds in release mode.
@main
struct FerryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-bench", abstract: "Measure Ferry against the raw C clients and Python peers on the local brokers.")

    @Option(help: "Events per throughput run.") var events = 50_000
    @Option(help: "Bytes of JSON data per event.") var payload = 256
    @Option(help: "Events per publish batch.") var batch = 1000
    @Option(help: "Messages a consumer holds unsettled; also the relay's in-flight window.") var prefetch = 256
    @Option(help: "Sequential publishes timed for latency.") var latencySamples = 500
    @Option(help: "Rounds of each raw and Ferry throughput run (the median is reported).") var repeats = 3
    @Option(help: "Events per relay throughput run.") var relayEvents = 100_000
    @Option(help: "Events per Consumer run in the idempotency store rows.") var storeEvents = 20_000
    @Option(help: "Events for the relay memory run.") var memoryEvents = 1_000_000
    @Option(help: "Seconds the sink stays frozen in the memory run.") var freezeSeconds = 10
    @Option(help: "Iterations of the core overhead loops.") var coreIterations = 100_000
    @Option(help: "Rows per outbox run, for Ferry and for the raw loop each.") var outboxEvents = 20_000
    @Option(help: "Sections to run: core, kafka, rabbitmq, redis, handlers, relay, outbox, stores, memory (comma-separated).")
    var only = "core,kafka,rabbitmq,redis,handlers,relay,outbox,stores,memory"
    @Option(help: "The ferry binary the relay rows run.") var ferry = ".build/release/ferry"
    @Option(help: "Python with confluent-kafka, pika and redis installed.") var python = ".tools/venv/bin/python"
    @Option(help: "The peer script.") var peerScript = "Benchmarks/peers/peer.py"
    @Option(help: "The schema catalog the core overhead rows validate and upcast with.") var schemas = "Config/schemas"
    @Option(help: "Where the Markdown report goes.") var markdown = "BENCHMARKS.md"
    @Option(help: "Where the JSON report goes.") var json = "Benchmarks/results.json"
    @Option(help: "The command line recorded in the report.") var command = "scripts/bench"
    @Option(help: "Hand-written notes appended to the Markdown report.") var notes = "Benchmarks/NOTES.md"

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let workload = Workload(
            events: events, payloadBytes: payload, batch: batch, prefetch: prefetch, latencySamples: latencySamples, repeats: repeats)
        let sections = Set(only.split(separator: ",").map(String.init))
        let urls = BrokerURLs()
        let transports = Transports([KafkaTransport(), RabbitMQTransport(), RedisTransport()])
        let client = FerryClient(transports: transports)
        let peers = PeerClient(python: python, script: peerScript)
        var rows: [BenchmarkRow] = []

        for broker in try brokers(urls, workload) where sections.contains(broker.broker.lowercased()) {
            rows += try await broker.run(workload, ferry: client, peers: peers)
        }
        if sections.contains("handlers") { rows += try await HandlerBenchmark(urls: urls, ferry: client, workload: workload).run() }
        let relay = RelayBenchmark(ferryBinary: ferry, urls: urls, ferry: client, workload: workload)
        if sections.contains("relay") { rows += try await relay.throughput(events: relayEvents) }
        if sections.contains("outbox") {
            guard let postgres = ProcessInfo.processInfo.environment["FERRY_POSTGRES_URL"] else {
                throw BenchmarkFailure("the outbox rows need FERRY_POSTGRES_URL (scripts/env.sh sets it)")
            }
            rows += try await OutboxBenchmark(urls: urls, relay: relay, workload: workload, postgres: postgres).run(events: outboxEvents)
        }
        if sections.contains("stores") {
            rows += try await StoreBenchmark(urls: urls, ferry: client, relay: relay, workload: workload).run(
                consumerEvents: storeEvents, relayEvents: relayEvents)
        }
        if sections.contains("memory") { rows += try await relay.memory(events: memoryEvents, frozen: .seconds(freezeSeconds)) }
        // Last, when the brokers are idle: these rows measure CPU time alone.
        if sections.contains("core") {
            Progress.say("core overhead")
            let registry = SchemaRegistry(catalog: try SchemaCatalog(directory: schemas))
            rows += try await CoreBenchmark(workload: workload, schemas: registry, iterations: coreIterations).run()
        }

        await transports.shutdown()

        rows.sort { Self.sectionOrder($0.section) < Self.sectionOrder($1.section) }
        let report = Report(
            command: command, date: ISO8601DateFormatter().string(from: Date()), machine: machine(), workload: workload, rows: rows)
        let appendix = (try? String(contentsOfFile: notes, encoding: .utf8)).map { "\n" + $0 } ?? ""
        try (report.markdown() + appendix).write(toFile: markdown, atomically: true, encoding: .utf8)
        try report.json().write(to: URL(fileURLWithPath: json))
        print(report.markdown())
    }

    /// Each raw loop sends `workload.sample` as Ferry's adapter encodes it for that broker.
    private func brokers(_ urls: BrokerURLs, _ workload: Workload) throws -> [BrokerBenchmark] {
        let kafka = RawKafka(brokers: urls.kafkaBrokers)
        let record = try KafkaWireFormat.encode(workload.sample)
        let message = try AMQPWireFormat.encode(workload.sample)
        let fields = try RedisWireFormat.encode(workload.sample).fields.map { (Data($0.name.utf8), $0.value) }
        return [
            BrokerBenchmark(
                broker: "Kafka", peer: ("kafka", "kafka://\(urls.kafkaBrokers)"), ferryURL: urls.kafka,
                peerHeaders: record.headers.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) },
                rawPublish: { try kafka.publish(topic: $0, record, $1) }, rawLatency: { try kafka.latency(topic: $0, record, $1) },
                rawConsume: { try kafka.consume(topic: $0, group: $1, count: $2.events, prefetch: $2.prefetch) }),
            BrokerBenchmark(
                broker: "RabbitMQ", peer: ("rabbitmq", urls.peerAMQP), ferryURL: { urls.amqp(queue: $0) },
                peerHeaders: message.headers.sorted { $0.key < $1.key } + [("content-type", message.contentType ?? "")],
                rawPublish: { target, workload in
                    let connection = try urls.rabbitMQ(confirms: true)
                    try connection.declare(queue: target)
                    return try connection.publish(queue: target, message, workload)
                },
                rawLatency: { target, workload in
                    let connection = try urls.rabbitMQ(confirms: true)
                    try connection.declare(queue: target)
                    return try connection.latency(queue: target, message, workload)
                },
                rawConsume: { target, _, workload in
                    try urls.rabbitMQ(confirms: false).consume(queue: target, count: workload.events, prefetch: workload.prefetch)
                },
                cleanup: { try urls.rabbitMQ(confirms: false).delete(queues: $0) }),
            BrokerBenchmark(
                broker: "Redis", peer: ("redis", urls.peerRedis), ferryURL: urls.redis,
                peerHeaders: fields.dropLast().map { (String(decoding: $0.0, as: UTF8.self), String(decoding: $0.1, as: UTF8.self)) },
                rawPublish: { try RawRedis(host: urls.host, port: urls.redisPort).publish(stream: $0, fields, $1) },
                rawLatency: { try RawRedis(host: urls.host, port: urls.redisPort).latency(stream: $0, fields, $1) },
                rawConsume: {
                    try RawRedis(host: urls.host, port: urls.redisPort).consume(
                        stream: $0, group: $1, count: $2.events, prefetch: $2.prefetch)
                },
                cleanup: { try RawRedis(host: urls.host, port: urls.redisPort).delete($0) }),
        ]
    }

    /// Core overhead first in the report, though it runs last.
    private static func sectionOrder(_ section: String) -> Int { section.hasPrefix("Core") ? 0 : 1 }

    /// The machine and client libraries the numbers come from.
    private func machine() -> [String: String] {
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let cpu = read("/proc/cpuinfo").split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last
        let memory = read("/proc/meminfo").split(separator: "\n").first?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
        let os = read("/etc/os-release").split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }?.dropFirst(12)
        let version = amqp_version().map { String(cString: $0) } ?? "?"
        return [
            "cpu": "\(cpu.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?") × \(ProcessInfo.processInfo.activeProcessorCount) cores",
            "memory": memory.map { String(format: "%.0f GiB", $0 / 1024 / 1024) } ?? "?",
            "os": os.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "?",
            "brokers": "Tansu (Kafka protocol), RabbitMQ 3.10, Redis 7.0, on loopback, started by scripts/brokers",
            "clients":
                "librdkafka \(String(cString: rd_kafka_version_str())), rabbitmq-c \(version), hiredis \(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)",
            "build": "swift build -c release",
        ]
    }
}
