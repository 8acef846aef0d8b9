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

    /// `list` reads without a group (nothing is created, nothing waits for a group join);
    /// `purge --reason` and `replay --reason` settle only their class, and `list` then shows
    /// exactly what is left, also on Kafka, where a group keeps one position per partition.
    @Test(arguments: brokerURLs)
    func listPurgeAndReplayByReasonAgreeAndLeaveNothingBehind(_ broker: String) async throws {
        let transport = transport(for: broker)
        let origin = try endpoint(broker)
        try await transport.provision(origin, partitions: 1)
        let workers = try await transport.subscribe(
            to: origin, options: SubscribeOptions(group: "workers-\(UUID().uuidString.prefix(8).lowercased())"))
        let dlq = try transport.deadLetterEndpoint(for: origin)
        try await transport.provision(dlq, partitions: 1)
        let letters = try await transport.makePublisher(for: dlq)
        let reasons: [DeadLetterReason.Code] = [.handler, .decode, .handler, .decode]
        var events: [Event] = []
        for (index, reason) in reasons.enumerated() {
            var event = Event(source: "/ops-test", type: "t", data: Data("letter \(index)".utf8))
            let record = DeadLetterRecord(
                reason: DeadLetterReason(reason, "failed \(index)"), attempts: 1, endpoint: origin.description,
                position: Position(destination: "origin", offset: String(index)))
            event.headers = record.headers
            _ = try await letters.publish(event)
            events.append(event)
        }
        await letters.close()
        let dlqURL = dlq.description.replacingOccurrences(of: ":***@", with: ":guest@")
        let group = "ops-\(UUID().uuidString.prefix(8).lowercased())"
        func listed() async throws -> [String] {
            let run = try await FerryProcess.run(["dlq", "list", dlqURL, "--group", group, "--json"], timeout: 60)
            #expect(run.status == 0, "\(run.stderr)")
            return try run.stdout.split(separator: "\n").map {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["event"] as! [String: Any])["id"] as! String
            }
        }

        #expect(try await listed() == events.map(\.id), "every letter, in order, with no --quiet wait")
        if broker.hasPrefix("redis") {
            await #expect(throws: FerryError.self, "list created no group on the stream") {
                try await transport.lag(of: dlq, group: group)
            }
        } else {
            let scopes = try await transport.lag(of: dlq, group: group).map(\.scope)
            #expect(scopes.allSatisfy { !$0.contains(".retry.") }, "list created no retry topic or queue: \(scopes)")
        }

        let purged = try await FerryProcess.run(
            ["dlq", "purge", dlqURL, "--group", group, "--reason", "decode", "--yes", "--quiet", "8"], timeout: 90)
        #expect(purged.stdout.contains("purged 2 dead letter(s)"), "\(purged.stdout)\(purged.stderr)")
        #expect(try await listed().sorted() == [events[0].id, events[2].id].sorted(), "the handler letters are left")

        let replayed = try await FerryProcess.run(
            ["dlq", "replay", dlqURL, "--group", group, "--reason", "handler", "--quiet", "8"], timeout: 90)
        #expect(replayed.stdout.contains("replayed 2 dead letter(s)"), "\(replayed.stdout)\(replayed.stderr)")
        let back = try await workers.take(2, within: .seconds(30), "the replayed letters")
        #expect(Set(back.map(\.event.id)) == [events[0].id, events[2].id])
        #expect(try await listed().isEmpty, "nothing is left")
        await workers.close()
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
