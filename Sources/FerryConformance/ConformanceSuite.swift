import Ferry
import FerryRelay
import Foundation
import Logging

/// The behaviours every backend must show, in the manner of Watermill's universal pub/sub
/// tests. Each case creates its own destination and groups, and asserts on what the broker
/// really delivered. Groups subscribe before events are published: on a broker without replay
/// (RabbitMQ) a group only gets what is published once its queue exists.
public enum ConformanceSuite {
    public static let cases: [ConformanceCase] =
        [
            ConformanceCase(name: "publish-confirms-each-event", body: publishConfirmsEachEvent),
            ConformanceCase(name: "group-receives-everything-once", body: groupReceivesEverythingOnce),
            ConformanceCase(name: "every-group-gets-every-event", body: everyGroupGetsEveryEvent),
            ConformanceCase(name: "redelivery-after-consumer-dies", body: redeliveryAfterConsumerDies),
            ConformanceCase(name: "delayed-retry-does-not-block", body: delayedRetryDoesNotBlock),
            ConformanceCase(name: "dead-letter-keeps-event-and-reason", body: deadLetterKeepsEventAndReason),
            ConformanceCase(name: "retried-then-dead-lettered-counts-attempts", body: retriedThenDeadLetteredCountsAttempts),
            ConformanceCase(name: "ordering-per-key", body: orderingPerKey),
            ConformanceCase(name: "attributes-and-headers-round-trip", body: attributesAndHeadersRoundTrip),
            ConformanceCase(name: "structured-mode-is-read", body: structuredModeIsRead),
            ConformanceCase(name: "structured-mode-is-published-with-mode-structured", body: structuredModeIsPublished),
            ConformanceCase(name: "plain-message-is-wrapped", body: plainMessageIsWrapped),
            ConformanceCase(name: "malformed-envelope-goes-to-dlq", body: malformedEnvelopeGoesToDLQ),
            ConformanceCase(name: "oversize-message-goes-to-dlq-whole", body: oversizeMessageGoesToDLQWhole),
            ConformanceCase(name: "typed-events", body: typedEvents),
            ConformanceCase(name: "lag-counts-unsettled", body: lagCountsUnsettled),
            ConformanceCase(name: "consumer-handles-a-duplicate-once", body: consumerHandlesADuplicateOnce),
            ConformanceCase(name: "consumer-runs-handlers-side-by-side-one-key-at-a-time", body: consumerRunsHandlersConcurrently),
            ConformanceCase(name: "consumer-waits-out-a-crashed-reservation", body: consumerWaitsOutACrashedReservation),
            ConformanceCase(name: "consumer-retries-with-backoff-then-dead-letters", body: consumerRetriesThenDeadLetters),
            ConformanceCase(name: "consumer-dead-letters-an-event-that-keeps-crashing-it", body: consumerDeadLettersACrashLoop),
            ConformanceCase(name: "consumer-and-relay-keep-two-sources-reusing-an-id", body: twoSourcesReusingAnIDBothArrive),
            ConformanceCase(name: "consumer-reads-a-v1-event-as-v2", body: consumerReadsV1AsV2),
            ConformanceCase(name: "consumer-dead-letters-unknown-versions-and-bad-payloads", body: consumerDeadLettersSchemaFailures),
        ] + CommandConformance.cases + SagaConformance.cases + HistoryConformance.cases

    static func sample(_ index: Int, key: String? = nil, label: String = "conformance") -> Event {
        Event(
            source: "/ferry/conformance", type: "ferry.conformance.\(label)", datacontenttype: "application/json",
            partitionkey: key, extensions: ["seq": String(index)], data: Data("{\"n\":\(index)}".utf8))
    }

    static func publishConfirmsEachEvent(_ h: ConformanceHarness) async throws {
        // Where a broker routes only to existing subscriptions (RabbitMQ), one must exist.
        let (_, subscription, publisher) = try await h.fixture("confirm")
        defer { h.close(subscription, publisher) }
        let events = (0..<20).map { sample($0) }
        let receipts = try await publisher.publish(events)
        try expectEqual(receipts.map(\.eventID), events.map(\.id), "receipts name the published events in order")
        try expectEqual(Set(receipts.map(\.position)).count, events.count, "each receipt has its own broker position")
        let single = try await publisher.publish(sample(99))
        try expect(!single.position.offset.isEmpty, "a single publish has a position, got \(single.position)")
    }

    static func groupReceivesEverythingOnce(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("group")
        let group = h.uniqueGroup("group")
        let first = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let events = (0..<30).map { sample($0) }
        _ = try await publisher.publish(events)
        let got = try await first.take(events.count, within: h.timeout, "all published events")
        try expectEqual(Set(got.map(\.event.id)), Set(events.map(\.id)), "the group received each published event")
        for delivery in got {
            try expectEqual(delivery.attempt, 1, "attempt of a first delivery")
            try await delivery.ack()
        }
        await first.close()
        // Acked events are gone for the group: the next member's first delivery is a new one.
        let sentinel = sample(1000)
        _ = try await publisher.publish(sentinel)
        let second = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        defer { Task { await second.close() } }
        let next = try await second.take(1, within: h.timeout, "the sentinel after acked events")
        try expectEqual(next[0].event.id, sentinel.id, "first delivery after everything was acked")
        try await next[0].ack()
    }

    static func everyGroupGetsEveryEvent(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("fanout")
        let a = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("a")))
        let b = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("b")))
        defer {
            Task {
                await a.close()
                await b.close()
            }
        }
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let events = (0..<10).map { sample($0) }
        _ = try await publisher.publish(events)
        for (name, subscription) in [("a", a), ("b", b)] {
            let got = try await subscription.take(events.count, within: h.timeout, "group \(name)")
            try expectEqual(Set(got.map(\.event.id)), Set(events.map(\.id)), "group \(name) received every event")
            for delivery in got { try await delivery.ack() }
        }
    }

    static func redeliveryAfterConsumerDies(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("redeliver")
        let group = h.uniqueGroup("redeliver")
        let doomed = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let events = (0..<10).map { sample($0) }
        _ = try await publisher.publish(events)
        let held = try await doomed.take(events.count, within: h.timeout, "events for the member that will die")
        let acked = held.prefix(4)
        for delivery in acked { try await delivery.ack() }
        await doomed.close()  // dies holding six unacked deliveries
        let unacked = Set(held.dropFirst(4).map(\.event.id))
        let heir = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        defer { Task { await heir.close() } }
        var seen = Set<String>()
        while !unacked.isSubset(of: seen) {
            let delivery = try await heir.take(1, within: h.timeout, "redelivery of \(unacked.subtracting(seen))")[0]
            seen.insert(delivery.event.id)
            try await delivery.ack()
        }
        try expect(unacked.isSubset(of: seen), "every unacked event was redelivered to the next member")
    }

    static func delayedRetryDoesNotBlock(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("retry", partitions: 1)
        defer { h.close(subscription, publisher) }
        let retried = sample(1, key: "same")
        let behind = sample(2, key: "same")
        _ = try await publisher.publish([retried, behind])
        let delay = Duration.seconds(1)
        let first = try await subscription.take(1, within: h.timeout, "the event to retry")[0]
        try expectEqual(first.event.id, retried.id, "first delivery")
        let retriedAt = ContinuousClock.now
        try await first.retry(after: delay, reason: "conformance: try again")
        let second = try await subscription.take(1, within: h.timeout, "the event behind the retried one")[0]
        try expectEqual(second.event.id, behind.id, "the next event is not held up by the retry")
        try await second.ack()
        let again = try await subscription.take(1, within: h.timeout, "the retried event")[0]
        let waited = ContinuousClock.now - retriedAt
        try expectEqual(again.event.id, retried.id, "the retried event came back")
        try expectEqual(again.attempt, 2, "attempt of the retried event")
        try expect(waited >= delay / 2, "the retry waited about its delay of \(delay), not \(waited)")
        try await again.ack()
    }

    static func deadLetterKeepsEventAndReason(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("dlq")
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("dlq")))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let doomed = sample(7)
        _ = try await publisher.publish(doomed)
        let delivery = try await subscription.take(1, within: h.timeout, "the event to dead-letter")[0]
        let position = delivery.position
        try await delivery.deadLetter(.handler("conformance: cannot handle"))
        let dlqEndpoint = try h.transport.deadLetterEndpoint(for: endpoint)
        let dlq = try await h.transport.subscribe(to: dlqEndpoint, options: SubscribeOptions(group: h.uniqueGroup("dlq-reader")))
        defer { Task { await dlq.close() } }
        let letter = try await dlq.take(1, within: h.timeout, "the dead letter")[0]
        var original = letter.event
        original.headers = DeadLetterRecord.removing(from: original.headers)
        try expectEqual(original, doomed, "the dead letter's event (without its dead-letter headers)")
        guard let record = DeadLetterRecord(headers: letter.event.headers) else {
            throw ConformanceFailure(message: "dead-letter headers missing: \(letter.event.headers)", file: #fileID, line: #line)
        }
        try expectEqual(record.reason.code, .handler, "reason class")
        try expectEqual(record.reason.message, "conformance: cannot handle", "reason text")
        try expectEqual(record.attempts, 1, "attempts")
        try expectEqual(record.position, position, "original position")
        try expect(
            record.endpoint.contains(endpoint.path.isEmpty ? endpoint.hosts[0].name : endpoint.path), "original endpoint \(record.endpoint)"
        )
        try await letter.ack()
        // The dead-lettered event is settled for its group.
        let sentinel = sample(8)
        _ = try await publisher.publish(sentinel)
        let next = try await subscription.take(1, within: h.timeout, "the sentinel after the dead letter")[0]
        try expectEqual(next.event.id, sentinel.id, "next delivery after dead-lettering")
        try await next.ack()
        await subscription.close()
    }

    static func retriedThenDeadLetteredCountsAttempts(_ h: ConformanceHarness) async throws {
        let (endpoint, subscription, publisher) = try await h.fixture("exhausted", partitions: 1)
        defer { h.close(subscription, publisher) }
        let failing = sample(9)
        _ = try await publisher.publish(failing)
        let maxAttempts = 3
        var attempts: [Int] = []
        while true {
            let delivery = try await subscription.take(1, within: h.timeout, "attempt \(attempts.count + 1)")[0]
            try expectEqual(delivery.event.id, failing.id, "the failing event comes back")
            attempts.append(delivery.attempt)
            if delivery.attempt < maxAttempts {
                try await delivery.retry(after: .milliseconds(100), reason: "conformance: still failing")
            } else {
                try await delivery.deadLetter(DeadLetterReason(.retriesExhausted, "conformance: gave up after \(maxAttempts) attempts"))
                break
            }
        }
        try expectEqual(attempts, [1, 2, 3], "attempt numbers")
        let dlq = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: h.uniqueGroup("exhausted-dlq")))
        defer { Task { await dlq.close() } }
        let letter = try await dlq.take(1, within: h.timeout, "the dead letter")[0]
        guard let record = DeadLetterRecord(headers: letter.event.headers) else {
            throw ConformanceFailure(message: "dead-letter headers missing: \(letter.event.headers)", file: #fileID, line: #line)
        }
        try expectEqual(letter.event.id, failing.id, "the dead letter is the failing event")
        try expectEqual(record.reason.code, .retriesExhausted, "reason class")
        try expectEqual(record.attempts, maxAttempts, "attempts")
        try expect(
            record.firstFailureMicros < record.lastFailureMicros,
            "first failure before last: \(record.firstFailureMicros), \(record.lastFailureMicros)")
        try await letter.ack()
    }

    static func orderingPerKey(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("order", partitions: 3)
        defer { h.close(subscription, publisher) }
        let keys = ["k1", "k2", "k3", "k4", "k5"]
        let events = (0..<50).map { sample($0, key: keys[$0 % keys.count]) }
        _ = try await publisher.publish(events)
        let got = try await subscription.take(events.count, within: h.timeout, "all keyed events")
        for key in keys {
            let sequence = got.filter { $0.event.partitionkey == key }.compactMap { Int($0.event.extensions["seq"] ?? "") }
            try expectEqual(sequence, sequence.sorted(), "order of key \(key)")
            try expectEqual(sequence.count, 10, "events of key \(key)")
        }
        for delivery in got { try await delivery.ack() }
    }

    static func attributesAndHeadersRoundTrip(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("attributes")
        defer { h.close(subscription, publisher) }
        var full = WireFixtures.fullEvent()
        full.id = "evt-\(UUID().uuidString)"
        let minimal = Event(id: "min-\(UUID().uuidString)", source: "/s", type: "t", time: nil)
        _ = try await publisher.publish([full, minimal])
        let got = try await subscription.take(2, within: h.timeout, "the two events")
        for delivery in got {
            let sent = delivery.event.id == full.id ? full : minimal
            try expectEqual(delivery.event, sent, "the delivered event")
            try expectEqual(delivery.mode, .binary, "envelope mode")
            try await delivery.ack()
        }
    }

    static func structuredModeIsRead(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("structured")
        defer { h.close(subscription, publisher) }
        var event = sample(3)
        event.subject = "structured"
        let body = try StructuredFormat.encode(event)
        _ = try await publisher.publish(raw: RawMessage(body: body, contentType: StructuredFormat.contentType))
        let delivery = try await subscription.take(1, within: h.timeout, "the structured event")[0]
        try expectEqual(delivery.mode, .structured, "envelope mode")
        var got = delivery.event
        got.headers = [:]
        try expectEqual(got, event, "the structured event")
        try await delivery.ack()
    }

    /// `mode=structured` on the endpoint: every envelope travels as one JSON body and comes
    /// back whole.
    static func structuredModeIsPublished(_ h: ConformanceHarness) async throws {
        let (endpoint, subscription, _) = try await h.fixture("structured-out", partitions: 1)
        let publisher = try await h.transport.makePublisher(for: endpoint.with(query: ["mode": "structured"]))
        defer { h.close(subscription, publisher) }
        let events = WireFixtures.all
        _ = try await publisher.publish(events)
        let got = try await subscription.take(events.count, within: h.timeout, "the structured events")
        for (delivery, event) in zip(got, events) {
            try expectEqual(delivery.mode, .structured, "read as structured")
            try expectEqual(delivery.event, event, "every attribute, header and byte of data")
            try await delivery.ack()
        }
    }

    static func plainMessageIsWrapped(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("plain")
        defer { h.close(subscription, publisher) }
        let body = Data("hello from a plain producer".utf8)
        _ = try await publisher.publish(raw: RawMessage(body: body, headers: ["origin": "legacy"], contentType: "text/plain"))
        let delivery = try await subscription.take(1, within: h.timeout, "the plain message")[0]
        try expect(delivery.isWrapped, "a plain message is marked as wrapped (mode \(delivery.mode))")
        try expectEqual(delivery.event.data, body, "the plain body")
        try expectEqual(delivery.event.type, Event.plainType, "the generated type")
        try expectEqual(delivery.event.datacontenttype, "text/plain", "the content type")
        try expectEqual(delivery.event.headers["origin"], "legacy", "the plain header")
        try expect(!delivery.event.id.isEmpty && !delivery.event.source.isEmpty, "generated id and source")
        try await delivery.ack()
    }

    static func malformedEnvelopeGoesToDLQ(_ h: ConformanceHarness) async throws {
        let (endpoint, subscription, publisher) = try await h.fixture("malformed", partitions: 1)
        defer { h.close(subscription, publisher) }
        let prefix = h.transport.schemes.contains("amqp") ? "ce-" : "ce_"
        let broken = RawMessage(
            body: Data("{}".utf8), headers: ["\(prefix)specversion": "1.0", "\(prefix)type": "t", "\(prefix)source": "/s"])
        let badTime = RawMessage(
            body: Data(),
            headers: [
                "\(prefix)specversion": "1.0", "\(prefix)id": "x", "\(prefix)type": "t",
                "\(prefix)source": "/s", "\(prefix)time": "yesterday",
            ])
        let badJSON = RawMessage(body: Data("{not json".utf8), contentType: StructuredFormat.contentType)
        let good = sample(5)
        _ = try await publisher.publish(raw: broken)
        _ = try await publisher.publish(raw: badTime)
        _ = try await publisher.publish(raw: badJSON)
        _ = try await publisher.publish(good)
        let delivery = try await subscription.take(1, within: h.timeout, "the good event after three malformed ones")[0]
        try expectEqual(delivery.event.id, good.id, "the consumer skips malformed messages and goes on")
        try await delivery.ack()
        let dlq = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: h.uniqueGroup("malformed-dlq")))
        defer { Task { await dlq.close() } }
        let letters = try await dlq.take(3, within: h.timeout, "three dead letters")
        var texts: [String] = []
        for letter in letters {
            guard let record = DeadLetterRecord(headers: letter.event.headers) else {
                throw ConformanceFailure(message: "dead letter without its headers: \(letter.event.headers)", file: #fileID, line: #line)
            }
            try expectEqual(record.reason.code, .decode, "reason class of a malformed message")
            texts.append(record.reason.message)
            try await letter.ack()
        }
        try expect(texts.contains { $0.contains("'id'") }, "a reason names the missing id: \(texts)")
        try expect(texts.contains { $0.contains("'time'") }, "a reason names the bad time: \(texts)")
        try expect(texts.contains { $0.contains("JSON") }, "a reason names the bad JSON: \(texts)")
    }

    static func oversizeMessageGoesToDLQWhole(_ h: ConformanceHarness) async throws {
        let limits = MessageLimits(maxBytes: 64 << 10, maxHeaders: 20)
        let (endpoint, subscription, publisher) = try await h.fixture("oversize", partitions: 1, limits: limits)
        defer { h.close(subscription, publisher) }
        let big = RawMessage(body: Data(repeating: 0x61, count: 100 << 10), headers: ["which": "big"], contentType: "text/plain")
        var many = RawMessage(body: Data("many headers".utf8), contentType: "text/plain")
        for index in 0..<30 { many.headers["h\(index)"] = "\(index)" }
        many.headers["which"] = "many"
        let good = sample(6)
        _ = try await publisher.publish(raw: big)
        _ = try await publisher.publish(raw: many)
        _ = try await publisher.publish(good)
        let delivery = try await subscription.take(1, within: h.timeout, "the good event after two oversize ones")[0]
        try expectEqual(delivery.event.id, good.id, "the consumer refuses oversize messages and goes on")
        try await delivery.ack()
        let dlq = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint),
            options: SubscribeOptions(group: h.uniqueGroup("oversize-dlq"), limits: MessageLimits(maxBytes: 1 << 20, maxHeaders: 100)))
        defer { Task { await dlq.close() } }
        var reasons: [String: String] = [:]
        for letter in try await dlq.take(2, within: h.timeout, "two dead letters") {
            guard let record = DeadLetterRecord(headers: letter.event.headers), let which = letter.event.headers["which"] else {
                throw ConformanceFailure(message: "dead letter without its headers: \(letter.event.headers)", file: #fileID, line: #line)
            }
            try expectEqual(record.reason.code, .decode, "reason class of an oversize message")
            reasons[which] = record.reason.message
            let original = which == "big" ? big : many
            try expectEqual(letter.event.data, original.body, "the dead letter keeps the whole body")
            try expect(original.headers.allSatisfy { letter.event.headers[$0.key] == $0.value }, "and every header")
            try await letter.ack()
        }
        try expect(reasons["big"]?.contains("maxBytes = 65536") == true, "the reason names the size limit: \(reasons)")
        try expect(reasons["many"]?.contains("maxHeaders = 20") == true, "the reason names the header limit: \(reasons)")
    }

    struct Placed: EventPayload, Equatable {
        static let eventType = "com.example.conformance.placed"
        static let eventVersion = 2
        var orderID: String
        var total: Decimal
        var lines: [String]
    }

    static func typedEvents(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("typed")
        defer { h.close(subscription, publisher) }
        let payload = Placed(orderID: "o-1", total: 12.5, lines: ["a", "b"])
        let receipt = try await publisher.publish(payload, source: "/orders", partitionkey: "o-1")
        let delivery = try await subscription.take(1, within: h.timeout, "the typed event")[0]
        try expectEqual(delivery.event.id, receipt.eventID, "event id")
        try expectEqual(delivery.event.dataversion, 2, "dataversion")
        try expectEqual(try delivery.decode(Placed.self), payload, "decoded payload")
        try await delivery.ack()
    }

    static func lagCountsUnsettled(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("lag")
        let group = h.uniqueGroup("lag")
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        defer { Task { await subscription.close() } }
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let events = (0..<12).map { sample($0) }
        _ = try await publisher.publish(events)
        let got = try await subscription.take(events.count, within: h.timeout, "events to hold")
        let transport = h.transport
        try await eventually(h.timeout, "lag reaches 12 while nothing is acked") {
            try await transport.lag(of: endpoint, group: group).reduce(0) { $0 + $1.lag } == 12
        }
        for delivery in got { try await delivery.ack() }
        try await eventually(h.timeout, "lag falls to 0 once everything is acked") {
            try await transport.lag(of: endpoint, group: group).reduce(0) { $0 + $1.lag } == 0
        }
    }

    // MARK: Consumer: the guarantees Ferry adds on top of every backend

    static func consumerHandlesADuplicateOnce(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("dedup", partitions: 1)
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("dedup")))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let event = sample(1)
        let sentinel = sample(2)
        _ = try await publisher.publish([event, event, sentinel])  // the same event twice: a producer retry
        let handled = Locked<[String]>([])
        let consumer = Consumer(subscription: subscription, logger: Logger(label: "conformance")) { delivery in
            handled.withLock { $0.append(delivery.event.id) }
        }
        var outcomes: [ConsumerOutcome] = []
        for delivery in try await subscription.take(3, within: h.timeout, "the event, its duplicate and the sentinel") {
            outcomes.append(try await consumer.process(delivery))
        }
        await subscription.close()
        try expectEqual(handled.withLock { $0 }, [event.id, sentinel.id], "events the handler saw")
        try expectEqual(outcomes, [.handled, .duplicate, .handled], "outcomes")
    }

    /// `ConsumerOptions.concurrency`: several handlers at once, never two of one key, each
    /// key's events in order, every event acked after its handler.
    static func consumerRunsHandlersConcurrently(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("concurrent", partitions: 2)
        let group = h.uniqueGroup("concurrent")
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        let events = (0..<24).map { sample($0, key: ["a", "b", "c", "d", "e", "f"][$0 % 6]) }
        _ = try await publisher.publish(events)
        await publisher.close()
        let state = Locked((running: 0, most: 0, busy: Set<String>(), overlaps: 0, seen: [String: [String]]()))
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(concurrency: 8), logger: Logger(label: "conformance")
        ) { delivery in
            let key = delivery.event.partitionkey ?? ""
            state.withLock {
                $0.running += 1
                $0.most = max($0.most, $0.running)
                if !$0.busy.insert(key).inserted { $0.overlaps += 1 }
                $0.seen[key, default: []].append(delivery.event.id)
            }
            try await Task.sleep(for: .milliseconds(20))
            state.withLock {
                $0.running -= 1
                _ = $0.busy.remove(key)
            }
        }
        let running = Task { try await consumer.run() }
        defer { running.cancel() }
        try await eventually(h.timeout, "every event handled") { state.withLock { $0.seen.values.reduce(0) { $0 + $1.count } } >= 24 }
        try await eventually(h.timeout, "and acked") { try await subscription.lag().reduce(0) { $0 + $1.lag } == 0 }
        let (most, overlaps, seen) = state.withLock { ($0.most, $0.overlaps, $0.seen) }
        try expect(most > 1, "handlers ran side by side (at most \(most) at once)")
        try expect(most <= 8, "no more than the limit (\(most))")
        try expectEqual(overlaps, 0, "never two handlers of one key at once")
        for (key, ids) in seen {
            try expectEqual(ids, events.filter { $0.partitionkey == key }.map(\.id), "the events of key \(key), in order")
        }
    }

    static func consumerWaitsOutACrashedReservation(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("crashed", partitions: 1)
        let group = h.uniqueGroup("crashed")
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        defer { Task { await subscription.close() } }
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let event = sample(3)
        _ = try await publisher.publish(event)
        let store = MemoryIdempotencyStore()
        let handled = Locked(0)
        let options = ConsumerOptions(retry: RetryPolicy(maxDelay: .milliseconds(300)), idempotency: store, reservation: .seconds(1))
        let consumer = Consumer(subscription: subscription, options: options, logger: Logger(label: "conformance")) { _ in
            handled.withLock { $0 += 1 }
        }
        var outcomes: [ConsumerOutcome] = []
        while outcomes.last != .handled {
            let delivery = try await subscription.take(1, within: h.timeout, "the event, until its reservation expires")[0]
            if outcomes.isEmpty {
                // Meanwhile a process reserved the event's key and crashed before finishing.
                _ = try await store.reserve(IdempotencyKey.of(event, scope: group), for: .seconds(1))
            }
            outcomes.append(try await consumer.process(delivery))
        }
        try expect(outcomes.first.map { if case .deferred = $0 { true } else { false } } == true, "first deferred: \(outcomes)")
        try expectEqual(handled.withLock { $0 }, 1, "times handled once the reservation expired")
    }

    static func consumerRetriesThenDeadLetters(_ h: ConformanceHarness) async throws {
        let (endpoint, subscription, publisher) = try await h.fixture("always-fails", partitions: 1)
        defer { h.close(subscription, publisher) }
        let event = sample(4)
        _ = try await publisher.publish(event)
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(100), multiplier: 2, jitter: 0)
        let consumer = Consumer(subscription: subscription, options: ConsumerOptions(retry: policy), logger: Logger(label: "conformance")) {
            _ in
            throw Boom()
        }
        var outcomes: [ConsumerOutcome] = []
        var attempts: [Int] = []
        while outcomes.count < 3 {
            let delivery = try await subscription.take(1, within: h.timeout, "attempt \(outcomes.count + 1)")[0]
            attempts.append(delivery.attempt)
            outcomes.append(try await consumer.process(delivery))
        }
        try expectEqual(attempts, [1, 2, 3], "attempts")
        try expectEqual(Array(outcomes.prefix(2)), [.retried(.milliseconds(100)), .retried(.milliseconds(200))], "backoff doubles")
        guard case .deadLettered(let reason) = outcomes[2] else {
            throw ConformanceFailure(message: "third attempt not dead-lettered: \(outcomes[2])", file: #fileID, line: #line)
        }
        try expectEqual(reason.code, .retriesExhausted, "reason")
        let dlq = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: h.uniqueGroup("always-fails-dlq")))
        defer { Task { await dlq.close() } }
        let letter = try await dlq.take(1, within: h.timeout, "the dead letter")[0]
        let record = DeadLetterRecord(headers: letter.event.headers)
        try expectEqual(record?.attempts, 3, "attempts recorded")
        try expect(record?.reason.message.contains("boom") == true, "error text recorded: \(record?.reason.message ?? "")")
        try await letter.ack()
    }

    // MARK: Schemas

    struct OrderV2: EventPayload, Equatable {
        static let eventType = "com.example.conformance.order"
        static let eventVersion = 2
        var orderID: String
        var quantity: Int
        var currency: String
    }

    /// v1 {orderID, qty}; v2 {orderID, quantity, currency}: declared steps rename and add.
    static func orderSchemas() throws -> SchemaRegistry {
        func schema(_ text: String) throws -> JSONSchema {
            try JSONSchema(json: try JSONSerialization.jsonObject(with: Data(text.utf8)), place: "conformance")
        }
        var catalog = SchemaCatalog()
        try catalog.register(
            type: OrderV2.eventType, version: 1,
            schema: try schema(
                #"{"type":"object","required":["orderID","qty"],"properties":{"orderID":{"type":"string"},"qty":{"type":"integer"}}}"#))
        try catalog.register(
            type: OrderV2.eventType, version: 2,
            schema: try schema(
                #"{"type":"object","required":["orderID","quantity"],"properties":{"orderID":{"type":"string"},"quantity":{"type":"integer"},"currency":{"type":"string"}}}"#
            ),
            upcast: [.rename(from: ["qty"], to: ["quantity"]), .add(path: ["currency"], value: .string("EUR"))], mode: .disabled)
        return SchemaRegistry(catalog: catalog)
    }

    static func order(version: Int, _ json: String) -> Event {
        Event(
            source: "/conformance/orders", type: OrderV2.eventType, datacontenttype: "application/json", dataversion: version,
            data: Data(json.utf8))
    }

    static func consumerReadsV1AsV2(_ h: ConformanceHarness) async throws {
        let (_, subscription, publisher) = try await h.fixture("upcast", partitions: 1)
        defer { h.close(subscription, publisher) }
        _ = try await publisher.publish(order(version: 1, #"{"orderID":"o-1","qty":3}"#))
        let schemas = try orderSchemas()
        let seen = Locked<[OrderV2]>([])
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(schemas: schemas), logger: Logger(label: "conformance")
        ) { delivery in
            let order = try delivery.decode(OrderV2.self, schemas: schemas)
            seen.withLock { $0.append(order) }
        }
        let delivery = try await subscription.take(1, within: h.timeout, "the v1 order")[0]
        try expectEqual(try await consumer.process(delivery), .handled, "outcome")
        try expectEqual(seen.withLock { $0 }, [OrderV2(orderID: "o-1", quantity: 3, currency: "EUR")], "the order as v2")
    }

    static func consumerDeadLettersSchemaFailures(_ h: ConformanceHarness) async throws {
        let (endpoint, subscription, publisher) = try await h.fixture("schema-dlq", partitions: 1)
        defer { h.close(subscription, publisher) }
        let unknownVersion = order(version: 7, #"{"orderID":"o-7"}"#)
        let invalid = order(version: 1, #"{"orderID":42}"#)
        let garbage = order(version: 1, "not json at all")
        _ = try await publisher.publish([unknownVersion, invalid, garbage])
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(schemas: try orderSchemas()), logger: Logger(label: "conformance")
        ) { _ in throw ConformanceFailure(message: "the handler must not see a broken event", file: #fileID, line: #line) }
        var reasons: [String: DeadLetterReason.Code] = [:]
        for delivery in try await subscription.take(3, within: h.timeout, "the three broken events") {
            guard case .deadLettered(let reason) = try await consumer.process(delivery) else {
                throw ConformanceFailure(message: "\(delivery.event.id) was not dead-lettered", file: #fileID, line: #line)
            }
            reasons[delivery.event.id] = reason.code
        }
        try expectEqual(reasons[unknownVersion.id], .schema, "reason for an unknown version")
        try expectEqual(reasons[invalid.id], .schema, "reason for data that breaks its schema")
        try expectEqual(reasons[garbage.id], .decode, "reason for data that is not JSON")
        let dlq = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: h.uniqueGroup("schema-dlq-reader")))
        defer { Task { await dlq.close() } }
        let letters = try await dlq.take(3, within: h.timeout, "the three dead letters")
        for letter in letters { try await letter.ack() }
        try expectEqual(
            Set(letters.compactMap { DeadLetterRecord(headers: $0.event.headers)?.reason.code.name }), ["schema", "decode"],
            "reasons recorded")
    }

    /// A handler that takes its process down: each "crash" leaves the delivery unsettled and
    /// the member gone, and the next member gets the event again. The idempotency store (shared
    /// here as a SQLite or Redis store is across restarts) counts the attempts where the broker
    /// cannot, so after `maxAttempts` crashes the event is dead-lettered with reason `crashed`.
    static func consumerDeadLettersACrashLoop(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("crash-loop", partitions: 1)
        let group = h.uniqueGroup("crash-loop")
        let deadLetters = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: h.uniqueGroup("crash-loop-dlq")))
        defer { Task { await deadLetters.close() } }
        var member = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let event = sample(8)
        _ = try await publisher.publish(event)
        let options = ConsumerOptions(
            retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(100), jitter: 0), idempotency: MemoryIdempotencyStore(),
            reservation: .milliseconds(500))
        let started = Locked(0)
        var settled: ConsumerOutcome?
        while settled.map({ if case .deadLettered = $0 { false } else { true } }) ?? true {
            let consumer = Consumer(subscription: member, options: options, logger: Logger(label: "conformance")) { _ in
                started.withLock { $0 += 1 }
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }  // the process dies here
            }
            let delivery = try await member.take(1, within: h.timeout, "the event after \(started.withLock { $0 }) crashes")[0]
            let before = started.withLock { $0 }
            let outcome = Locked<ConsumerOutcome?>(nil)
            Task {
                let result = try? await consumer.process(delivery)
                outcome.withLock { $0 = result }
            }
            try await eventually(h.timeout, "the handler starts, or the event is settled without it") {
                started.withLock { $0 } > before || outcome.withLock { $0 } != nil
            }
            settled = outcome.withLock { $0 }
            if settled == nil {  // crashed: the next member takes over
                await member.close()
                member = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
            }
        }
        await member.close()
        guard case .deadLettered(let reason)? = settled else {
            throw ConformanceFailure(message: "not dead-lettered: \(String(describing: settled))", file: #fileID, line: #line)
        }
        try expectEqual(reason.code, .crashed, "reason of an event that crashed its consumer every time")
        try expectEqual(started.withLock { $0 }, 3, "handler runs before the event was given up")
        let letter = try await deadLetters.take(1, within: h.timeout, "the dead letter")[0]
        try expectEqual(letter.event.id, event.id, "the dead-lettered event")
        let record = DeadLetterRecord(headers: letter.event.headers)
        try expectEqual(record?.reason.code, .crashed, "reason header")
        try expectEqual(record?.attempts, 4, "attempts header: three crashes and the delivery that gave up")
        try await letter.ack()
    }

    /// CloudEvents ids are unique per source only: two producers may use the same id, and
    /// neither the `Consumer` nor the relay may take the second event for a duplicate.
    static func twoSourcesReusingAnIDBothArrive(_ h: ConformanceHarness) async throws {
        let endpoint = try await h.freshEndpoint("same-id", partitions: 1)
        let copies = try await h.freshEndpoint("same-id-copies", partitions: 1)
        let consumerGroup = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("same-id")))
        defer { Task { await consumerGroup.close() } }
        let copied = try await h.transport.subscribe(to: copies, options: SubscribeOptions(group: h.uniqueGroup("same-id-copies")))
        defer { Task { await copied.close() } }
        let route = RelayRoute(
            configuration: RouteConfiguration(
                name: h.uniqueGroup("route"), source: endpoint, group: h.uniqueGroup("relay"), sinks: [copies]),
            transports: Transports([h.transport]), store: MemoryIdempotencyStore(), schemas: nil, logger: Logger(label: "conformance"))
        let relay = Task { try await route.run() }
        defer { relay.cancel() }
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let id = "order-\(UUID().uuidString)"
        let events = ["/shop/eu", "/shop/us"].map { Event(id: id, source: $0, type: "ferry.conformance.same-id") }
        // Where a broker routes only to existing queues (RabbitMQ), the relay's must be bound
        // first: a running route has subscribed.
        try await eventually(h.timeout, "the relay runs") { route.health.state == .running }
        _ = try await publisher.publish(events)
        let handled = Locked<[String]>([])
        let consumer = Consumer(subscription: consumerGroup, logger: Logger(label: "conformance")) { delivery in
            handled.withLock { $0.append(delivery.event.source) }
        }
        for delivery in try await consumerGroup.take(2, within: h.timeout, "both events") {
            try expectEqual(try await consumer.process(delivery), .handled, "outcome of \(delivery.event.source)")
        }
        try expectEqual(handled.withLock { $0.sorted() }, ["/shop/eu", "/shop/us"], "sources the consumer handled")
        let relayed = try await copied.take(2, within: h.timeout, "both copies")
        try expectEqual(Set(relayed.map(\.event.source)), ["/shop/eu", "/shop/us"], "sources the relay copied")
        for delivery in relayed { try await delivery.ack() }
    }
}
