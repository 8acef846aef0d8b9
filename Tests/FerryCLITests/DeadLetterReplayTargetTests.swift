import ArgumentParser
import Ferry
import Foundation
import Testing

@testable import FerryCLI

/// Where `ferry dlq replay` sends a letter back: a letter's headers are anyone's writing.
@Suite struct DeadLetterReplayTargetTests {
    func record(_ endpoint: String) -> DeadLetterRecord {
        DeadLetterRecord(
            reason: .handler("x"), attempts: 1, endpoint: endpoint, position: Position(destination: "orders", partition: 0, offset: "1"))
    }

    @Test func theOriginsPlaceWithTheDLQsCredentialsAndSettings() throws {
        let dlq = try Endpoint("kafka://k1:9092/orders.dlq?rdkafka.sasl.password=real&rdkafka.security.protocol=sasl_plaintext")
        let target = try DeadLetterReplay.origin(
            record("kafka://k1:9092/orders?rdkafka.plugin.library.paths=/tmp/evil.so&rdkafka.sasl.password=***"), dlq: dlq)
        #expect(target.path == "orders")
        #expect(target.query["rdkafka.plugin.library.paths"] == nil, "no client setting is taken from a letter")
        #expect(target.query["rdkafka.sasl.password"] == "real")
        #expect(target.query["rdkafka.security.protocol"] == "sasl_plaintext")
    }

    @Test func anAMQPOriginKeepsItsRoutingButNotTheDLQQueue() throws {
        let dlq = try Endpoint("amqp://guest:pw@h:5672/%2F?queue=orders.dlq")
        let target = try DeadLetterReplay.origin(record("amqp://guest:***@h:5672/%2F?exchange=orders&routing-key=placed"), dlq: dlq)
        #expect(target.query == ["exchange": "orders", "routing-key": "placed"])
        #expect(target.password == "pw")
    }

    @Test(arguments: ["kafka://elsewhere:9092/orders", "redis://k1:9092/orders", "kafka://k1:9093/orders"])
    func anOriginOnAnotherBrokerIsRefused(_ forged: String) throws {
        let dlq = try Endpoint("kafka://k1:9092/orders.dlq?rdkafka.sasl.password=real")
        #expect(throws: ValidationError.self) { try DeadLetterReplay.origin(record(forged), dlq: dlq) }
    }
}
