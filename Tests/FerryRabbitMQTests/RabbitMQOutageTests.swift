import Ferry
import FerryConformance
import FerryRabbitMQ
import Foundation
import Testing

/// Tests that restart the local broker. scripts/test runs them after everything else, alone.
@Suite(.enabled(if: amqpURL != nil, "needs FERRY_AMQP_URL (scripts/test sets it)"))
struct RabbitMQOutageTests {
    let transport = RabbitMQTransport()

    func unique(_ label: String) -> String { "ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())" }

    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(source: "/amqp-tests", type: "test.event", extensions: ["seq": String($0)], data: Data("\($0)".utf8)) }
    }

    @Test func aRestartLosesNothingAndEveryoneReconnects() async throws {
        let name = unique("restart")
        let endpoint = try Endpoint("\(amqpURL!)?exchange=\(name)&routing-key=\(name)")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "survivors"))
        // A restart here takes 10–30 s; each publish may wait out all of it.
        let publisher = try await transport.makePublisher(
            for: try Endpoint("\(amqpURL!)?exchange=\(name)&routing-key=\(name)&publish-timeout=90s"))
        let sent = events(400)
        let received = Locked(Set<String>())
        let consumer = Task {
            while let delivery = try await subscription.next() {
                received.withLock { _ = $0.insert(delivery.event.id) }
                try await delivery.ack()
            }
        }
        let restart = Task { try await LocalBrokers.restart("rabbitmq") }
        for batch in stride(from: 0, to: sent.count, by: 10) {
            _ = try await publisher.publish(Array(sent[batch..<batch + 10]))  // retries across the restart by itself
            try await Task.sleep(for: .milliseconds(20))
        }
        try await restart.value
        try await eventually(.seconds(90), "every published event is consumed after the restart") {
            received.withLock { $0.count } == sent.count
        }
        #expect(received.withLock { $0 } == Set(sent.map(\.id)))
        consumer.cancel()
        await subscription.close()
        await publisher.close()
    }

    /// RabbitMQ keeps no position for an AMQP reader of a stream: after a restart the
    /// subscription attaches again at its first unsettled offset, not at its start. What it
    /// settled is not read again; what it held, and everything after, comes (again).
    @Test func aStreamSubscriptionGoesOnFromItsFirstUnsettledOffsetAfterARestart() async throws {
        let name = unique("stream-restart")
        let endpoint = try Endpoint("\(amqpURL!)?exchange=\(name)&queue=\(name).log&queue-type=stream")
        let publisher = try await transport.makePublisher(for: endpoint)
        let sent = events(10)
        _ = try await publisher.publish(sent)
        await publisher.close()
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "readers"))
        let first = try await subscription.take(5, within: .seconds(30), "the first five")
        #expect(first.map(\.event.id) == sent.prefix(5).map(\.id))
        for delivery in first.prefix(4) { try await delivery.ack() }  // the fifth stays unsettled
        try await LocalBrokers.restart("rabbitmq")
        var seen: [String] = []
        while !Set(seen).isSuperset(of: sent[4...].map(\.id)), seen.count < 30 {
            let delivery = try await subscription.take(1, within: .seconds(120), "after the restart")[0]
            seen.append(delivery.event.id)
            try await delivery.ack()
        }
        #expect(Set(seen).isSuperset(of: sent[4...].map(\.id)), "the held event and every later one came")
        #expect(Set(seen).isDisjoint(with: sent.prefix(4).map(\.id)), "settled events were not read again: \(seen)")
        await subscription.close()
    }
}
