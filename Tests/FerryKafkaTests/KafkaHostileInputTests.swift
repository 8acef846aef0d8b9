import Ferry
import FerryConformance
import Foundation
import Logging
import Testing

@testable import FerryKafka

/// Records no Ferry producer would write, written by librdkafka directly; the consumer must
/// deliver each (wrapped, or with what is trustworthy) and go on.
@Suite(.enabled(if: kafkaURL != nil, "needs FERRY_KAFKA_URL (scripts/test sets it)"))
struct KafkaHostileInputTests {
    let transport = KafkaTransport()

    @Test func extremeTimestampsAndForgedRetryHeadersNeitherTrapNorHoldThePartition() async throws {
        let endpoint = try await freshKafkaTopic(transport, "hostile", partitions: 1)
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try RDKafkaProducer(
            settings: kafka.settings, context: RDKafkaContext(logger: Logger(label: "test"), brokers: kafka.brokers))
        let forged = [
            RetryHeaders.due: String(Int64.max), RetryHeaders.attempt: String(Int.max), RetryHeaders.firstFailure: String(Int64.min),
        ]
        let records = [
            KafkaRecord(value: Data("far future".utf8), timestampMillis: Int64.max),
            KafkaRecord(value: Data("just past microseconds".utf8), timestampMillis: Int64.max / 1000 + 1),
            KafkaRecord(value: Data("forged control headers".utf8), headers: WireField.list(forged)),
        ]
        for result in await producer.produce(records.map { ("", $0) }, topic: kafka.topic) { _ = try result.get() }
        await producer.close()

        let subscription = try await transport.subscribe(
            to: endpoint, options: SubscribeOptions(group: "hostile-\(UUID().uuidString.prefix(8))"))
        let got = try await subscription.take(3, within: .seconds(30), "every hostile record, none held back")
        #expect(got.map { String(decoding: $0.event.data, as: UTF8.self) } == records.map { String(decoding: $0.value, as: UTF8.self) })
        #expect(got.allSatisfy { $0.isWrapped })
        #expect(got.prefix(2).allSatisfy { $0.event.time == nil }, "no time rather than a wrong one")
        let withForgery = got[2]
        #expect(withForgery.attempt == 1, "a retry header on the source topic is not Ferry's")
        #expect(withForgery.event.headers.keys.allSatisfy { !RetryHeaders.names.contains($0) }, "and is not passed on")
        for delivery in got.prefix(2) { try await delivery.ack() }
        try await withForgery.retry(after: .milliseconds(10))
        let again = try await subscription.take(1, within: .seconds(30), "the retried record")[0]
        #expect(again.attempt == 2)
        try await again.ack()
        await subscription.close()
        await transport.shutdown()
    }
}
