import Ferry
import FerryConformance
import FerryKafka
import Foundation
import Testing

/// Tests that freeze the local broker. scripts/test runs them after everything else, alone.
@Suite(.enabled(if: kafkaURL != nil, "needs FERRY_KAFKA_URL (scripts/test sets it)"))
struct KafkaOutageTests {
    let transport = KafkaTransport()

    @Test func aFrozenBrokerLosesNoPublish() async throws {
        let pid = try LocalBrokers.pid(of: "kafka")
        let endpoint = try await freshKafkaTopic(transport, "freeze", partitions: 3)
        let publisher = try await transport.makePublisher(for: endpoint)
        let sent = kafkaTestEvents(3000)
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
        let confirmed = Set(results.compactMap { try? $0.get().eventID }).union(batches[0].map(\.id))
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
