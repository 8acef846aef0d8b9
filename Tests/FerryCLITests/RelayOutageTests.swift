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

    @Test func fiftyThousandEventsSurviveThreeKills() async throws {
        let total = 50_000
        let name = "ferry-kill-\(UUID().uuidString.prefix(8).lowercased())"
        let source = try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
        let amqpSink = try Endpoint("\(env["FERRY_AMQP_URL"]!)?exchange=\(name)&queue=\(name)")
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let kafka = KafkaTransport()
        try await kafka.provision(source, partitions: 3)
        let publisher = try await kafka.makePublisher(for: source)
        let events = (0..<total).map { Event(source: "/kill-test", type: "t", partitionkey: "k\($0 % 50)", data: Data("\($0)".utf8)) }
        for start in stride(from: 0, to: total, by: 2000) { _ = try await publisher.publish(Array(events[start..<start + 2000])) }
        await publisher.close()

        let store = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/relay.db").path
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).yaml").path
        try """
            idempotency: sqlite://\(store)
            routes:
              - name: orders
                source: '\(source.description)'
                group: relay
                sinks: ['\(amqpSink.description.replacingOccurrences(of: ":***@", with: ":guest@"))', '\(redisSink.description)']
            """.write(toFile: config, atomically: true, encoding: .utf8)
        @Sendable func lag() async throws -> Int { try await kafka.lag(of: source, group: "relay").reduce(0) { $0 + $1.lag } }

        for kill in 1...3 {
            let relay = try RunningFerry(["relay", "--config", config])
            let before = try await lag()
            try await eventually(.seconds(120), "the relay makes progress before kill \(kill)") { try await lag() <= before - 3000 }
            _ = await relay.stop(SIGKILL)
        }
        let relay = try RunningFerry(["relay", "--config", config])
        try await eventually(.seconds(300), "the last relay copies everything") { try await lag() == 0 }
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")

        for (transport, sink) in [(RabbitMQTransport() as any Transport, amqpSink), (RedisTransport(), redisSink)] {
            let subscription = try await transport.subscribe(to: sink, options: SubscribeOptions(group: "audit", prefetch: 500))
            let seen = Locked(Set<String>())
            let handled = Locked(0)
            let consumer = Consumer(subscription: subscription, logger: Logger(label: "audit")) { delivery in
                handled.withLock { $0 += 1 }
                seen.withLock { _ = $0.insert(delivery.event.id) }
            }
            let reading = Task { try await consumer.run() }
            try await eventually(.seconds(300), "all \(total) events read back from \(sink)") { seen.withLock { $0.count } == total }
            reading.cancel()
            await subscription.close()
            #expect(seen.withLock { $0 } == Set(events.map(\.id)), "every event reached \(sink)")
            #expect(handled.withLock { $0 } == total, "a deduplicating consumer handles each event once at \(sink)")
        }
        await kafka.shutdown()
    }
}
