import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRabbitMQ

/// Messages no Ferry producer would write, published with rabbitmq-c directly; the consumer
/// must deliver each and go on.
@Suite(.enabled(if: amqpURL != nil, "needs FERRY_AMQP_URL (scripts/test sets it)"))
struct RabbitMQHostileInputTests {
    let transport = RabbitMQTransport()

    @Test func anExtremeTimestampAndAForgedAttemptNeitherTrap() async throws {
        let queue = "ferry-hostile-\(UUID().uuidString.prefix(8).lowercased())"
        let endpoint = try Endpoint("\(amqpURL!)?queue=\(queue)")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let amqp = try AMQPEndpoint(endpoint)
        let hostile = [
            AMQPMessage(timestamp: UInt64.max, body: Data("timestamp 2^64-1".utf8)),
            AMQPMessage(timestamp: UInt64(Int64.max), body: Data("timestamp 2^63-1".utf8)),
            AMQPMessage(headers: [RetryHeaders.attempt: String(Int.max)], body: Data("forged attempt".utf8)),
        ]
        try await BlockingExecutor(label: "test").run { () throws in
            let connection = try AMQPConnection(amqp, confirms: false)
            defer { connection.close() }
            for message in hostile { try connection.publish(message, exchange: "", routingKey: queue) }
        }
        let got = try await subscription.take(3, within: .seconds(30), "every hostile message")
        #expect(got.map { String(decoding: $0.event.data, as: UTF8.self) } == hostile.map { String(decoding: $0.body, as: UTF8.self) })
        #expect(got.allSatisfy { $0.isWrapped && $0.event.time == nil })
        #expect(got[2].attempt == 1, "an attempt no retry could reach is not believed")
        for delivery in got.prefix(2) { try await delivery.ack() }
        try await got[2].retry(after: .milliseconds(100))
        let again = try await subscription.take(1, within: .seconds(30), "the retried message")[0]
        #expect(again.attempt == 2)
        try await again.ack()
        await subscription.close()
    }
}
