import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Testing

/// `ferry relay` as a separate process against the real local brokers.
@Suite(.enabled(if: brokerURLs.count == 3, "needs the three local brokers (scripts/test starts them)"))
struct RelayCLITests {
    let env = ProcessInfo.processInfo.environment

    func write(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aBadConfigurationExits2NamingTheKey() async throws {
        let path = try write(
            "routes:\n  - source: \(env["FERRY_KAFKA_URL"]!)/t\n    sinks: [\(env["FERRY_REDIS_URL"]!)/s]\n    batch: 10\n")
        let result = try await FerryProcess.run(["relay", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("routes[0].batch: unknown key 'batch'"), "\(result.stderr)")
    }

    /// These used to trap (exit 132) on an overflow instead of naming the mistake.
    @Test func aPortOrDurationOutOfRangeExits2() async throws {
        let valid = "routes:\n  - source: \(env["FERRY_KAFKA_URL"]!)/t\n    sinks: [\(env["FERRY_REDIS_URL"]!)/s]\n"
        let port = try await FerryProcess.run(["relay", "--config", try write(valid), "--metrics-port", "70000"])
        #expect(port.status == 2)
        #expect(port.stderr.contains("--metrics-port 70000"), "\(port.stderr)")
        let delay = try await FerryProcess.run(["relay", "--config", try write(valid + "    retry:\n      max-delay: 9223372036854775m\n")])
        #expect(delay.status == 2)
        #expect(delay.stderr.contains("routes[0].retry.max-delay"), "\(delay.stderr)")
    }

    /// A client that connects and sends nothing used to block the metrics thread for good, so
    /// every later health check hung.
    @Test func anIdleClientDoesNotHoldUpTheHealthCheck() async throws {
        let name = "ferry-idle-\(UUID().uuidString.prefix(8).lowercased())"
        let config = try write(
            "routes:\n  - source: \(env["FERRY_KAFKA_URL"]!)/\(name)\n    group: \(name)\n    sinks: [\(env["FERRY_REDIS_URL"]!)/\(name)]\n"
        )
        let relay = try RunningFerry(["relay", "--config", config, "--metrics-port", "0"])
        let port = try await relay.metricsPort()
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var address = sockaddr_in()  // the idle client's, never sending a byte
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let target = address
        try await eventually(.seconds(30), "the metrics port listens") {
            withUnsafePointer(to: target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        let started = ContinuousClock.now
        let health = try await within(.seconds(10), "/health while another client sits idle") { try await HealthCheck.fetch(port: port) }
        #expect(health.route("route-1")["status"] != nil, "\(health.report)")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")
    }

    @Test func copiesKafkaToRabbitMQAndRedisOnceEachThenDrainsOnSIGTERM() async throws {
        let name = "ferry-relay-\(UUID().uuidString.prefix(8).lowercased())"
        let group = "\(name)-relay"  // Kafka groups are broker-wide
        let source = try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
        let amqpSink = try Endpoint("\(env["FERRY_AMQP_URL"]!)?exchange=\(name)&queue=\(name)")
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let kafka = KafkaTransport()
        try await kafka.provision(source, partitions: 3)
        let events = (0..<300).map {
            Event(source: "/relay-test", type: "order.placed", partitionkey: "k\($0 % 7)", data: Data("\($0)".utf8))
        }
        let publisher = try await kafka.makePublisher(for: source)
        _ = try await publisher.publish(events + events.prefix(20))  // 20 duplicates, as a retrying producer makes
        let store = "sqlite://" + FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/relay.db").path
        let config = try write(
            """
            idempotency: \(store)
            routes:
              - name: orders
                source: '\(source.description)'
                group: \(group)
                sinks:
                  - 'amqp://guest:${TEST_AMQP_PASSWORD}@\(amqpSink.hosts[0].name):\(amqpSink.hosts[0].port!)/%2F?exchange=\(name)&queue=\(name)'
                  - '\(redisSink.description)'
                in-flight: 64
            """)
        setenv("TEST_AMQP_PASSWORD", "guest", 1)
        let relay = try RunningFerry(["relay", "--config", config, "--metrics-port", "0"])
        let metricsPort = try await relay.metricsPort()

        for (transport, sink) in [(RabbitMQTransport() as any Transport, amqpSink), (RedisTransport(), redisSink)] {
            let reader = try await transport.subscribe(to: sink, options: SubscribeOptions(group: "check"))
            var seen: [String: Int] = [:]
            while seen.count < events.count {
                let delivery = try await reader.take(1, within: .seconds(60), "copies at \(sink) (\(seen.count) so far)")[0]
                seen[delivery.event.id, default: 0] += 1
                #expect(delivery.event.headers["ferry-hops"] == "1")
                try await delivery.ack()
            }
            #expect(Set(seen.keys) == Set(events.map(\.id)), "every event reached \(sink)")
            #expect(seen.values.allSatisfy { $0 == 1 }, "no duplicate at \(sink)")
            await reader.close()
        }
        try await eventually(.seconds(30), "the relay's group has lag 0 on the source") {
            try await kafka.lag(of: source, group: group).reduce(0) { $0 + $1.lag } == 0
        }
        let health = try await HealthCheck.fetch(port: metricsPort)
        #expect(health.status == 200, "\(health.report)")
        #expect(health.report["status"] as? String == "ok")
        #expect(health.route("orders")["status"] as? String == "ok")
        #expect(health.route("orders")["last_settled"] != nil)
        let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!, encoding: .utf8)
        func total(_ name: String, route: String? = nil) -> Double {
            metrics.split(separator: "\n").filter { line in
                line.hasPrefix(name + "{") && (route.map { line.contains(#"route="\#($0)""#) } ?? true)
            }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        }
        #expect(total("ferry_events_received", route: "orders") == 320, "\(metrics.prefix(3000))")
        #expect(total("ferry_events_handled", route: "orders") == 300)
        #expect(total("ferry_duplicates_skipped", route: "orders") == 20)
        #expect(total("ferry_events_published") == 600, "two sinks x 300 copies")
        #expect(metrics.contains("ferry_publish_confirm_seconds"))
        #expect(metrics.contains("ferry_consumer_lag"))
        #expect(!metrics.contains("guest"), "no credentials in labels")
        let status = await relay.stop(SIGTERM)
        #expect(status == 0, "\(relay.stderr)")
        #expect(relay.output.contains { $0.contains("route orders: copied 300, duplicates skipped 20") }, "\(relay.output)")
        await publisher.close()
        await kafka.shutdown()
    }
}
