import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRabbitMQ

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

    /// Tables nested in the headers (written by RabbitMQ's own management API, which turns
    /// JSON objects into tables): a shallow one is read, deep ones are dead-lettered with the
    /// limit named, however deep, and the consumer goes on.
    @Test func deeplyNestedHeaderTablesAreDeadLetteredNotFollowed() async throws {
        let queue = "ferry-hostile-\(UUID().uuidString.prefix(8).lowercased())"
        let endpoint = try Endpoint("\(amqpURL!)?queue=\(queue)")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        for depth in [3, 9, 5000] {
            let deep = String(repeating: #"{"n":"#, count: depth) + #""leaf""# + String(repeating: "}", count: depth)
            let body =
                #"{"properties":{"headers":{"deep":"# + deep + #"}},"routing_key":"\#(queue)","#
                + #""payload":"depth \#(depth)","payload_encoding":"string"}"#
            var request = URLRequest(url: URL(string: "http://127.0.0.1:15672/api/exchanges/%2F/amq.default/publish")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue("Basic " + Data("guest:guest".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
            let (reply, _) = try await URLSession.shared.data(for: request)
            #expect(String(decoding: reply, as: UTF8.self).contains("\"routed\":true"), "depth \(depth) published")
        }
        try await BlockingExecutor(label: "test").run { () throws in
            let connection = try AMQPConnection(try AMQPEndpoint(endpoint), confirms: false)
            defer { connection.close() }
            try connection.publish(AMQPMessage(body: Data("after".utf8)), exchange: "", routingKey: queue)
        }
        let got = try await subscription.take(2, within: .seconds(30), "the shallow message and the one after the deep ones")
        #expect(got.map { String(decoding: $0.event.data, as: UTF8.self) } == ["depth 3", "after"])
        for delivery in got { try await delivery.ack() }
        await subscription.close()

        let dlq = try await transport.subscribe(
            to: try transport.deadLetterEndpoint(for: endpoint), options: SubscribeOptions(group: "dlq"))
        let letters = try await dlq.take(2, within: .seconds(30), "both deep messages, dead-lettered")
        #expect(letters.map { String(decoding: $0.event.data, as: UTF8.self) } == ["depth 9", "depth 5000"])
        for letter in letters {
            let record = try #require(DeadLetterRecord(headers: letter.event.headers))
            #expect(record.reason.code == .decode)
            #expect(record.reason.message.contains("maxNesting = 8"), "\(record.reason.message)")
            try await letter.ack()
        }
        await dlq.close()
    }
}
