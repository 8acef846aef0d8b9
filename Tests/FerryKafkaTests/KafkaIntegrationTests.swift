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
