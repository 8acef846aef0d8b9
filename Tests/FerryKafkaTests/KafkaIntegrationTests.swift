import Ferry
import FerryConformance
import FerryKafka
import Foundation
import Testing

/// Kafka-specific guarantees, against the local broker that scripts/test starts.
@Suite(.enabled(if: kafkaURL != nil, "needs FERRY_KAFKA_URL (scripts/test sets it)"))
struct KafkaIntegrationTests {
    let transport = KafkaTransport()

    func freshTopic(_ label: String, partitions: Int = 1) async throws -> Endpoint {
        try await freshKafkaTopic(transport, label, partitions: partitions)
    }

    func events(_ count: Int) -> [Event] { kafkaTestEvents(count) }

    /// A start at an offset or a time applies to partitions the group never committed: a group
    /// that exists goes on from where it is, whatever start its next member asks for.
    @Test func aGroupThatExistsKeepsItsPositionWhateverTheStart() async throws {
        let endpoint = try await freshTopic("keeps")
        let publisher = try await transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let sent = events(6)
        _ = try await publisher.publish(Array(sent.prefix(5)))
        let group = "keeps-\(UUID().uuidString.prefix(8))"
        let first = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: group, start: .offset("3")))
        let read = try await first.take(2, within: .seconds(30), "offsets 3 and 4")
        #expect(read.map(\.event.id) == sent[3..<5].map(\.id))
        for delivery in read { try await delivery.ack() }
        await first.close()
        _ = try await publisher.publish(sent[5])
        let again = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: group, start: .offset("0")))
        defer { Task { await again.close() } }
        let next = try await again.take(1, within: .seconds(30), "the event after the committed position")
        #expect(next[0].event.id == sent[5].id, "the group went on from offset 5, not from the start it asked for")
        try await next[0].ack()
    }

    /// Reading history over several partitions reads every one to its end: a partition that
    /// ends first (its end-of-partition event alone in a poll) does not end the read.
    @Test func historyReadsEveryPartitionToItsEnd() async throws {
        let endpoint = try await freshTopic("history", partitions: 4)
        let publisher = try await transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let sent = (0..<40).map { Event(source: "/kafka-tests", type: "t", partitionkey: "k\($0 % 7)", data: Data("\($0)".utf8)) }
        _ = try await publisher.publish(sent)
        let seen = Locked<[String]>([])
        try await transport.history(endpoint, from: .earliest, limits: MessageLimits()) { browsed in
            seen.withLock { $0.append((try? browsed.envelope.get().event.id) ?? "?") }
            return true
        }
        #expect(Set(seen.withLock { $0 }) == Set(sent.map(\.id)))
        #expect(seen.withLock { $0.count } == sent.count)
    }

    @Test func noOffsetIsCommittedPastAnUnackedMessage() async throws {
        let endpoint = try await freshTopic("gap")
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish(events(10))
        let group = "gap-\(UUID().uuidString.prefix(8))"
        let first = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let held = try await first.take(10, within: .seconds(30), "the ten events")
        for delivery in held where delivery.position.offset != "4" { try await delivery.ack() }
        await first.close()  // commits what is safe: everything below offset 4

        let lag = try await transport.lag(of: endpoint, group: group).filter { $0.scope.hasSuffix("\(endpoint.path)/0") }
        #expect(lag.map(\.lag) == [6], "offsets 4...9 are not committed: \(lag)")

        let heir = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: group))
        let redelivered = try await heir.take(6, within: .seconds(30), "the unacked message and those after it")
        for delivery in redelivered { try await delivery.ack() }
        await heir.close()
        let offsets = redelivered.map(\.position.offset)
        #expect(offsets == ["4", "5", "6", "7", "8", "9"], "the next member resumes at the unacked message")
        await transport.shutdown()
    }
}

func freshKafkaTopic(_ transport: KafkaTransport, _ label: String, partitions: Int) async throws -> Endpoint {
    let endpoint = try Endpoint("\(kafkaURL!)/ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())")
    try await transport.provision(endpoint, partitions: partitions)
    return endpoint
}

func kafkaTestEvents(_ count: Int) -> [Event] {
    (0..<count).map { Event(source: "/kafka-tests", type: "test.event", extensions: ["seq": String($0)], data: Data("\($0)".utf8)) }
}
