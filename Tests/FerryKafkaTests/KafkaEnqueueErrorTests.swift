import CRDKafka
import Testing

@testable import FerryKafka

/// An enqueue refusal that may pass later (the client does not know the topic or partition
/// yet) used to count as permanent, so a relay dead-lettered with `rejected`; it is retried now.
@Suite struct KafkaEnqueueErrorTests {
    @Test func onlyRefusalsNoRetryCanChangeArePermanent() {
        for code in [RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__TRANSPORT] {
            #expect(RDKafkaProducer.mayPassIfTriedAgain(code), "\(code)")
        }
        for code in [RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__FATAL] {
            #expect(!RDKafkaProducer.mayPassIfTriedAgain(code), "\(code)")
        }
    }
}
