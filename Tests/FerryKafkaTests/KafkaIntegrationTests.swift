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
        let endpoint = try Endpoint("\(kafkaURL!)/ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())")
        try await transport.provision(endpoint, partitions: partitions)
        return endpoint
    }

    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(source: "/kafka-tests", type: "test.event", extensions: ["seq": String($0)], data: Data("\($0)".utf8)) }
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

    @Test func aFrozenBrokerLosesNoPublish() async throws {
        let pidFile = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FERRY_TOOLS"] ?? ".tools")
            .appendingPathComponent("run/kafka/pid")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let endpoint = try await freshTopic("freeze", partitions: 3)
        let publisher = try await transport.makePublisher(for: endpoint)
        let sent = events(3000)
        let batches = stride(from: 0, to: sent.count, by: 100).map { Array(sent[$0..<min($0 + 100, sent.count)]) }
        _ = try await publisher.publish(batches[0])  // the broker works before the freeze

        let results = try await withThrowingTaskGroup(of: [Result<Receipt, FerryError>].self) { group in
            for batch in batches.dropFirst() { group.addTask { await publisher.send(batch) } }
            kill(pid, SIGSTOP)
            try await Task.sleep(for: .seconds(5))  // the outage itself, not a wait for a condition
            kill(pid, SIGCONT)
            return try await group.reduce(into: []) { $0 += $1 }
        }
        kill(pid, SIGCONT)
        #expect(results.count == sent.count - 100, "every publish completed, one way or the other")
        let confirmed = Set(results.compactMap { try? $0.get().eventID }) .union(batches[0].map(\.id))
        let failures = results.compactMap { result -> FerryError? in if case .failure(let e) = result { e } else { nil } }
        for failure in failures { #expect(failure.code == .publishFailed) }

        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "freeze-check"))
        let stored = try await within(.seconds(60), "reading back every confirmed event") {
            var stored = Set<String>()
            while !confirmed.isSubset(of: stored), let delivery = try await subscription.next() {
                stored.insert(delivery.event.id)
                try await delivery.ack()
            }
            return stored
        }
        await subscription.close()
        #expect(confirmed.isSubset(of: stored), "every confirmed publish is on the broker")
        #expect(confirmed.count + failures.count == sent.count, "confirmed \(confirmed.count), failed \(failures.count)")
        await transport.shutdown()
    }
}
