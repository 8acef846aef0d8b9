import Ferry
import FerryConformance
import FerryKafka
import FerryPostgres
import FerryRabbitMQ
import FerryRedis
import Foundation
import Testing

let postgresURL = ProcessInfo.processInfo.environment["FERRY_POSTGRES_URL"]

/// `ferry relay` draining a PostgreSQL outbox table to Kafka, RabbitMQ and Redis.
@Suite(.enabled(if: brokerURLs.count == 3 && postgresURL != nil, "needs the local brokers and PostgreSQL (scripts/test starts them)"))
struct OutboxRelayTests {
    let env = ProcessInfo.processInfo.environment

    /// The relay SIGKILLed three times while it drains 50,000 rows: every event reaches every
    /// sink (copies again only where a kill fell between a copy and its mark in the store), and
    /// the outbox ends empty.
    @Test func aRelayKilledThreeTimesWhileDrainingDeliversEveryRowToEveryBroker() async throws {
        let name = "ferry-outbox-\(UUID().uuidString.prefix(8).lowercased())"
        let table = name.replacingOccurrences(of: "-", with: "_")
        let outbox = try Endpoint(postgresURL! + (postgresURL!.contains("?") ? "&" : "?") + "table=\(table)")
        let transport = PostgresOutbox.transport()
        let kafkaSink = try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
        let amqpSink = try Endpoint("\(env["FERRY_AMQP_URL"]!)?exchange=\(name)&queue=\(name)")
        let redisSink = try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)")
        let sinks: [(any Transport, Endpoint)] = [
            (KafkaTransport(), kafkaSink), (RabbitMQTransport(), amqpSink), (RedisTransport(), redisSink),
        ]
        for (sinkTransport, sink) in sinks { try await sinkTransport.provision(sink, partitions: 3) }
        // Subscribed before the relay runs: RabbitMQ routes only to queues that exist.
        var readers: [Subscription] = []
        for (sinkTransport, sink) in sinks {
            readers.append(try await sinkTransport.subscribe(to: sink, options: SubscribeOptions(group: "\(name)-check", prefetch: 1000)))
        }

        let total = 50_000
        let publisher = try await transport.makePublisher(for: outbox)
        var ids: Set<String> = []
        for batch in stride(from: 0, to: total, by: 2_000) {
            let events = (batch..<batch + 2_000).map {
                Event(source: "/orders", type: "order.placed", partitionkey: "o-\($0 % 97)", data: Data("{\"n\":\($0)}".utf8))
            }
            _ = try await publisher.publish(events)
            ids.formUnion(events.map(\.id))
        }
        let store = "sqlite://" + FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(name)/relay.db").path
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).yaml").path
        try """
        idempotency: \(store)
        routes:
          - name: outbox
            source: '\(outbox.description.replacingOccurrences(of: ":***@", with: ":${TEST_POSTGRES_PASSWORD}@"))'
            sinks: ['\(kafkaSink)', '\(amqpSink.description.replacingOccurrences(of: ":***@", with: ":guest@"))', '\(redisSink)']
            in-flight: 500
        """.write(toFile: config, atomically: true, encoding: .utf8)
        setenv("TEST_POSTGRES_PASSWORD", outbox.password ?? "", 1)
        @Sendable func waiting() async throws -> Int { try await transport.lag(of: outbox, group: "relay").reduce(0) { $0 + $1.lag } }

        var relay = try RunningFerry(["relay", "--config", config])
        for kill in 1...3 {
            try await eventually(.seconds(180), "the relay drains past \(kill * 12_000) rows") {
                try await waiting() <= total - kill * 12_000
            }
            await relay.kill()
            relay = try RunningFerry(["relay", "--config", config])
        }
        try await eventually(.seconds(180), "the outbox drained") { try await waiting() == 0 }
        #expect(await relay.stop(SIGTERM) == 0, "\(relay.stderr)")

        for (reader, (_, sink)) in zip(readers, sinks) {
            var seen: Set<String> = []
            var copies = 0
            while seen.count < total {
                let batch = try await within(.seconds(60), "copies at \(sink) (\(seen.count) of \(total))") {
                    try await reader.nextBatch(max: 1000)
                }
                for delivery in batch {
                    seen.insert(delivery.event.id)
                    try await delivery.ack()
                }
                copies += batch.count
            }
            #expect(seen == ids, "every row reached \(sink)")
            #expect(copies < total + 3 * 1_500, "copies again only around the kills at \(sink): \(copies)")
            await reader.close()
        }
    }
}
