import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Testing

/// `ferry dlq` and `ferry lag` against each real local broker: a handler dead-letters an event,
/// the operator lists and replays it, it is handled, and the group's lag is back to 0.
@Suite(.enabled(if: !brokerURLs.isEmpty, "needs the local brokers (scripts/test starts them)"))
struct OperatorCLITests {
    func transport(for broker: String) -> any Transport {
        if broker.hasPrefix("kafka") { return KafkaTransport() }
        if broker.hasPrefix("amqp") { return RabbitMQTransport() }
        return RedisTransport()
    }

    func endpoint(_ broker: String) throws -> Endpoint {
        let name = "ferry-ops-\(UUID().uuidString.prefix(8).lowercased())"
        if broker.hasPrefix("amqp") { return try Endpoint("\(broker)?exchange=\(name)&routing-key=\(name)") }
        return try Endpoint("\(broker)/\(name)")
    }

    @Test(arguments: brokerURLs)
    func aDeadLetterIsListedReplayedAndHandledOnce(_ broker: String) async throws {
        let transport = transport(for: broker)
        let origin = try endpoint(broker)
        try await transport.provision(origin, partitions: 1)
        let group = "workers-\(UUID().uuidString.prefix(8).lowercased())"  // Kafka groups are broker-wide
        let workers = try await transport.subscribe(to: origin, options: SubscribeOptions(group: group))
        let publisher = try await transport.makePublisher(for: origin)
        let event = Event(source: "/ops-test", type: "order.placed", datacontenttype: "application/json", data: Data(#"{"n":1}"#.utf8))
        _ = try await publisher.publish(event)
        let first = try await workers.take(1, within: .seconds(30), "the event")[0]
        try await first.deadLetter(.handler("payment service said no"))

        let dlq = try transport.deadLetterEndpoint(for: origin)
        let dlqURL = dlq.description.replacingOccurrences(of: ":***@", with: ":guest@")
        let listed = try await FerryProcess.run(["dlq", "list", dlqURL, "--json", "--quiet", "5"], timeout: 90)
        #expect(listed.status == 0, "\(listed.stderr)")
        let letters = try listed.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(letters.count == 1)
        #expect(letters.first?["reason"] as? String == "handler")
        #expect(letters.first?["error"] as? String == "payment service said no")
        #expect((letters.first?["event"] as? [String: Any])?["id"] as? String == event.id)

        let shown = try await FerryProcess.run(["dlq", "show", dlqURL, event.id, "--quiet", "5"], timeout: 90)
        #expect(shown.status == 0, "\(shown.stderr)")
        let letter = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(letter?["reason"] as? String == "handler")
        #expect(letter?["attempts"] as? Int == 1)

        let replayed = try await FerryProcess.run(["dlq", "replay", dlqURL, "--rate", "10", "--quiet", "5"], timeout: 90)
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout.contains("replayed 1 dead letter(s)"), "\(replayed.stdout)")

        let handled = Locked(0)
        let consumer = Consumer(subscription: workers, logger: .init(label: "test")) { _ in handled.withLock { $0 += 1 } }
        let again = try await workers.take(1, within: .seconds(30), "the replayed event")[0]
        #expect(again.event.id == event.id)
        #expect(again.event.headers["ferry-dlq-history"]?.hasPrefix("handler@1@") == true, "\(again.event.headers)")
        #expect(try await consumer.process(again) == .handled)
        #expect(handled.withLock { $0 } == 1)

        // The service keeps consuming, as it would in production: a copy redelivered after a
        // rebalance is recognised as a duplicate and acked, not handled again.
        let running = Task { try await consumer.run() }
        defer { running.cancel() }
        let originURL = origin.description.replacingOccurrences(of: ":***@", with: ":guest@")
        let lastLag = Locked("")
        do {
            try await eventually(.seconds(30), "ferry lag reports 0 for the group") {
                let lag = try await FerryProcess.run(["lag", originURL, "--group", group])
                lastLag.withLock { $0 = lag.stdout + lag.stderr }
                return lag.status == 0 && lag.stdout.contains("total\tlag=0")
            }
        } catch {
            Issue.record("last `ferry lag` output:\n\(lastLag.withLock { $0 })")
            throw error
        }
        #expect(handled.withLock { $0 } == 1, "handled once, whatever was redelivered")
        running.cancel()
        await workers.close()
        await publisher.close()
        await transport.shutdown()
    }

    @Test func tailWithASQLiteStoreShowsADuplicateOnceAcrossRestarts() async throws {
        guard let redis = ProcessInfo.processInfo.environment["FERRY_REDIS_URL"] else { return }
        let transport = RedisTransport()
        let endpoint = try Endpoint("\(redis)/ferry-dedup-\(UUID().uuidString.prefix(8).lowercased())")
        let store = "sqlite://" + FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(UUID().uuidString)/dedup.db").path
        let publisher = try await transport.makePublisher(for: endpoint)
        let event = Event(source: "/dedup-test", type: "t")
        let other = Event(source: "/dedup-test", type: "t")
        _ = try await publisher.publish([event, event, other])  // a producer that retried
        let first = try await FerryProcess.run([
            "tail", endpoint.description, "--group", "g", "--count", "2", "--timeout", "30", "--json", "--dedup", store,
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let ids = try first.stdout.split(separator: "\n").map {
            ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["event"] as! [String: Any])["id"] as! String
        }
        #expect(ids == [event.id, other.id])
        _ = try await publisher.publish(event)  // the duplicate again, after the first process is gone
        let second = try await FerryProcess.run([
            "tail", endpoint.description, "--group", "g", "--count", "1", "--timeout", "3", "--dedup", store,
        ])
        #expect(second.status == 1, "the duplicate is not shown again: \(second.stdout)")
        #expect(second.stdout.isEmpty)
        try await eventually(.seconds(10), "the skipped duplicate is acked") {
            try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 0
        }
        await publisher.close()
    }

    /// A message's bytes must not reach the terminal as control sequences (here: clear screen).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_REDIS_URL"] != nil, "needs FERRY_REDIS_URL"))
    func tailShowsControlCharactersEscaped() async throws {
        let endpoint = try Endpoint(
            "\(ProcessInfo.processInfo.environment["FERRY_REDIS_URL"]!)/ferry-ctl-\(UUID().uuidString.prefix(8).lowercased())")
        let publisher = try await RedisTransport().makePublisher(for: endpoint)
        _ = try await publisher.publish(raw: RawMessage(body: Data("before\u{1B}[2Jafter\nnext line".utf8)))
        await publisher.close()
        let tailed = try await FerryProcess.run(["tail", endpoint.description, "--count", "1", "--timeout", "30"])
        #expect(tailed.status == 0, "\(tailed.stderr)")
        #expect(!tailed.stdout.unicodeScalars.contains { $0.value == 0x1B }, "no raw escape byte")
        #expect(tailed.stdout.contains("before\\u{1B}[2Jafter\\u{A}next line"), "\(tailed.stdout)")
        #expect(tailed.stdout.split(separator: "\n").count == 1, "one line per delivery")
    }
}
