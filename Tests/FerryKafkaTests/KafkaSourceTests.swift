import Ferry
import Foundation
import Logging
import Testing

@testable import FerryKafka

/// What a source asks of librdkafka, read back from librdkafka itself (no broker is reached).
@Suite struct KafkaSourceTests {
    @Test func readAheadBoundsLibrdkafkasQueueUnlessTheURLSetsIt() async throws {
        let logger = Logger(label: "test")
        let producer = try RDKafkaProducer(settings: [:], context: RDKafkaContext(logger: logger, brokers: "127.0.0.1:9"))
        func source(_ url: String, readAhead: Int?) throws -> KafkaSource {
            try KafkaSource(
                endpoint: KafkaEndpoint(Endpoint(url)), options: SubscribeOptions(group: "read-ahead", readAhead: readAhead),
                producer: producer, logger: logger, joinsGroup: false)
        }
        let defaulted = try source("kafka://127.0.0.1:9/t", readAhead: nil)
        #expect(defaulted.consumer.setting("queued.min.messages") == "100000", "librdkafka's own default")
        let bounded = try source("kafka://127.0.0.1:9/t", readAhead: 2_500)
        #expect(bounded.consumer.setting("queued.min.messages") == "2500")
        let explicit = try source("kafka://127.0.0.1:9/t?rdkafka.queued.min.messages=700", readAhead: 2_500)
        #expect(explicit.consumer.setting("queued.min.messages") == "700", "the URL's setting wins")
        for source in [defaulted, bounded, explicit] { await source.close() }
        await producer.close()
    }
}
