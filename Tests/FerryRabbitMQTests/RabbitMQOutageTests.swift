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
}
