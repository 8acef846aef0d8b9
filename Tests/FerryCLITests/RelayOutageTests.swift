import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging
import Testing

/// The relay's promise under crashes: SIGKILLed three times while copying, it still delivers
/// every event to both sinks, and a deduplicating consumer sees each once. Runs alone, after
/// the other tests (scripts/test), like every *OutageTests suite.
@Suite(.enabled(if: brokerURLs.count == 3, "needs the three local brokers (scripts/test starts them)"))
struct RelayOutageTests {
    let env = ProcessInfo.processInfo.environment

    /// A fresh Kafka topic holding `events`.
    func seed(_ name: String, partitions: Int, _ events: [Event], with kafka: KafkaTransport) async throws -> Endpoint {
        let source = try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
        try await kafka.provision(source, partitions: partitions)
        let publisher = try await kafka.makePublisher(for: source)
        for start in stride(from: 0, to: events.count, by: 2000) {
            _ = try await publisher.publish(Array(events[start..<min(start + 2000, events.count)]))
        }
        await publisher.close()
        return source
    }

    /// A relay configuration of one route from `source` to `sinks`, in the group `name` (Kafka
    /// groups are broker-wide: one per test); returns its path.
    func relayConfig(
        _ name: String, route: String, source: Endpoint, sinks: [String], idempotency: String? = nil, extra: String = ""
    ) throws -> String {
        let store =
            idempotency ?? "sqlite://"
            + FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/relay.db").path
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).yaml").path
        try """
        idempotency: '\(store)'
        routes:
          - name: \(route)
            source: '\(source.description)'
            group: \(name)
            sinks: [\(sinks.map { "'\($0)'" }.joined(separator: ", "))]\(extra)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    /// The relay group's lag on its source.
    func lag(_ kafka: KafkaTransport, _ source: Endpoint, group: String) async throws -> Int {
        try await kafka.lag(of: source, group: group).reduce(0) { $0 + $1.lag }
    }

    /// Reads `sink` with a deduplicating Consumer until every event arrived; each must be
    /// handled exactly once.
    func expectEachOnce(_ events: [Event], at sink: Endpoint, over transport: any Transport) async throws {
        let subscription = try await transport.subscribe(to: sink, options: SubscribeOptions(group: "audit", prefetch: 500))
        let seen = Locked(Set<String>())
        let handled = Locked(0)
        let consumer = Consumer(subscription: subscription, logger: Logger(label: "audit")) { delivery in
            handled.withLock { $0 += 1 }
            seen.withLock { _ = $0.insert(delivery.event.id) }
        }
        let reading = Task { try await consumer.run() }
        try await eventually(.seconds(300), "all \(events.count) events read back from \(sink)") {
            seen.withLock { $0.count } == events.count
        }
        reading.cancel()
        await subscription.close()
        #expect(seen.withLock { $0 } == Set(events.map(\.id)), "every event reached \(sink)")
        #expect(handled.withLock { $0 } == events.count, "a deduplicating consumer handles each event once at \(sink)")
    }

    /// The relay's idempotency store (a Redis server of the test's own) dies while events
    /// arrive: nothing is dead-lettered, /health turns 503 naming the failure, and once the
    /// store is back every event arrives once and /health is ok again.
    @Test func anIdempotencyStoreOutageShowsInHealthAndLosesNothing() async throws {
        let name = "ferry-storeout-\(UUID().uuidString.prefix(8).lowercased())"
        let sink = try Endpoint("\(env["FERRY_AMQP_URL"]!)?exchange=\(name)&queue=\(name)")
        let kafka = KafkaTransport()
        let source = try await seed(name, partitions: 2, [], with: kafka)
        let storePort = freeLoopbackPort()
        func startStore() throws -> ChildProcess {
            try ChildProcess("/usr/bin/redis-server", ["--port", "\(storePort)", "--save", "", "--appendonly", "no"])
        }
        var store = try startStore()
        let config = try relayConfig(
            name, route: "orders", source: source, sinks: [sink.description.replacingOccurrences(of: ":***@", with: ":guest@")],
            idempotency: "redis://127.0.0.1:\(storePort)/\(name)")
        let relay = try RunningFerry(["relay", "--config", config, "--metrics-port", "0"])
        let metricsPort = try await relay.metricsPort()
        try await eventually(.seconds(60), "the route runs") {
            (try? await HealthCheck.fetch(port: metricsPort))?.route("orders")["status"] as? String == "ok"
        }

        store.kill()
        _ = await store.exit()
        let events = (0..<500).map { Event(source: "/store-outage", type: "t", data: Data("\($0)".utf8)) }
        let publisher = try await kafka.makePublisher(for: source)
        _ = try await publisher.publish(events)
        await publisher.close()
        let failing = Locked<HealthCheck?>(nil)
        try await eventually(.seconds(60), "/health reports the store failure") {
            let health = try await HealthCheck.fetch(port: metricsPort)
            failing.withLock { $0 = health }
            return health.status == 503 && health.route("orders")["status"] as? String == "failing"
        }
        let report = failing.withLock { $0 }!.route("orders")
        #expect((report["last_error"] as? String)?.contains("127.0.0.1:\(storePort)") == true, "\(report)")
        #expect(report["failing_since"] != nil)

        store = try startStore()
        try await eventually(.seconds(120), "/health is ok again") {
            let health = try await HealthCheck.fetch(port: metricsPort)
            return health.status == 200 && health.route("orders")["status"] as? String == "ok"
        }
        try await expectEachOnce(events, at: sink, over: RabbitMQTransport())
        let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!, encoding: .utf8)
        let lines = metrics.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("ferry_events_dead_lettered{") }.allSatisfy { $0.hasSuffix(" 0") }, "nothing dead-lettered")
        #expect(
            metrics.split(separator: "\n").contains { $0.hasPrefix("ferry_settle_failures{") && !$0.hasSuffix(" 0") },
            "the failures are counted")
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")
        #expect(
            relay.stderr.components(separatedBy: "deliveries cannot be settled").count - 1 == 1, "logged once: \(relay.stderr.suffix(2000))"
        )
        store.kill()
        _ = await store.exit()
        await kafka.shutdown()
    }

    @Test func fiftyThousandEventsSurviveThreeKills() async throws {
        let total = 50_000
        let name = "ferry-kill-\(UUID().uuidString.prefix(8).lowercased())"
        let amqpSink = try Endpoint("\(env["FERRY_AMQP_URL"]!)?exchange=\(name)&queue=\(name)")
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let kafka = KafkaTransport()
        let events = (0..<total).map { Event(source: "/kill-test", type: "t", partitionkey: "k\($0 % 50)", data: Data("\($0)".utf8)) }
        let source = try await seed(name, partitions: 3, events, with: kafka)

        let config = try relayConfig(
            name, route: "orders", source: source,
            sinks: [amqpSink.description.replacingOccurrences(of: ":***@", with: ":guest@"), redisSink.description])
        @Sendable func lag() async throws -> Int { try await self.lag(kafka, source, group: name) }

        for kill in 1...3 {
            let relay = try RunningFerry(["relay", "--config", config])
            let before = try await lag()
            try await eventually(.seconds(120), "the relay makes progress before kill \(kill)") { try await lag() <= before - 3000 }
            _ = await relay.stop(SIGKILL)
        }
        let relay = try RunningFerry(["relay", "--config", config])
        try await eventually(.seconds(300), "the last relay copies everything") { try await lag() == 0 }
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")

        try await expectEachOnce(events, at: amqpSink, over: RabbitMQTransport())
        try await expectEachOnce(events, at: redisSink, over: RedisTransport())
        await kafka.shutdown()
    }

    @Test func twoRelaysShareTheWorkAndOneDyingLosesNothing() async throws {
        let total = 20_000
        let name = "ferry-pair-\(UUID().uuidString.prefix(8).lowercased())"
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let kafka = KafkaTransport()
        let events = (0..<total).map { Event(source: "/pair-test", type: "t", partitionkey: "k\($0 % 40)", data: Data("\($0)".utf8)) }
        let source = try await seed(name, partitions: 4, events, with: kafka)
        let config = try relayConfig(
            name, route: "pair", source: source, sinks: [redisSink.description], idempotency: "\(env["FERRY_REDIS_URL"]!)/\(name)-dedup")
        @Sendable func lag() async throws -> Int { try await self.lag(kafka, source, group: name) }

        let first = try RunningFerry(["relay", "--config", config, "--log-level", "info"])
        let second = try RunningFerry(["relay", "--config", config, "--log-level", "info"])
        try await eventually(.seconds(60), "both relays hold partitions") {
            first.stderr.contains("partitions assigned") && second.stderr.contains("partitions assigned")
                && second.stderr.components(separatedBy: "partitions assigned").count >= 2
        }
        let before = try await lag()
        try await eventually(.seconds(120), "the pair makes progress") { try await lag() <= before - 2000 }
        _ = await first.stop(SIGKILL)
        try await eventually(.seconds(300), "the survivor takes over the dead relay's share") { try await lag() == 0 }
        #expect(await second.stop(SIGTERM) == 0, "\(second.stderr)")

        try await expectEachOnce(events, at: redisSink, over: RedisTransport())
        await kafka.shutdown()
    }

    @Test func aFrozenSinkSlowsTheSourceWithinBoundedMemory() async throws {
        let total = 100_000  // enough that the relay, copying ~30,000 a second, is still at it when Redis freezes
        let name = "ferry-frozen-\(UUID().uuidString.prefix(8).lowercased())"
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let kafka = KafkaTransport()
        let events = (0..<total).map { _ in Event(source: "/frozen-test", type: "t", data: Data(repeating: 65, count: 128)) }
        let source = try await seed(name, partitions: 3, events, with: kafka)
        let config = try relayConfig(name, route: "frozen", source: source, sinks: [redisSink.description], extra: "\n    in-flight: 64")
        @Sendable func lag() async throws -> Int { try await self.lag(kafka, source, group: name) }

        let relay = try RunningFerry(["relay", "--config", config])
        let before = try await lag()
        try await eventually(.seconds(60), "the relay is copying") { try await lag() <= before - 1000 }
        let redis = try LocalBrokers.pid(of: "redis")
        kill(redis, SIGSTOP)
        var samples: [Int] = []
        for _ in 0..<20 {  // the 10 s outage itself, sampled every half second
            try await Task.sleep(for: .milliseconds(500))
            if let rss = relay.residentKiB { samples.append(rss) }
        }
        let lagWhileFrozen = try await lag()
        kill(redis, SIGCONT)
        #expect(lagWhileFrozen > 0, "the source waited for the frozen sink")
        let growth = (samples.max() ?? 0) - (samples.first ?? 0)
        #expect(growth < 50 * 1024, "memory grew \(growth) KiB during the freeze (samples \(samples))")
        try await eventually(.seconds(300), "everything arrives after SIGCONT") { try await lag() == 0 }
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")
        await kafka.shutdown()
    }
}
