import CRDKafka
import Ferry
import Foundation
import Testing

@testable import FerryKafka

@Suite struct RDKafkaConsumerTests {
    /// The values share one buffer; each field is still exactly its own bytes.
    @Test func headerValuesAreCopiedExactly() {
        let headers = rd_kafka_headers_new(4)!
        defer { rd_kafka_headers_destroy(headers) }
        let long = Data((0..<200).map { UInt8($0) })
        _ = rd_kafka_header_add(headers, "ce_id", -1, "0194c3a0-7b1e-7c3d-9f00-000000000001", -1)
        _ = long.withUnsafeBytes { rd_kafka_header_add(headers, "binary", -1, $0.baseAddress, $0.count) }
        _ = rd_kafka_header_add(headers, "empty", -1, "", 0)
        _ = rd_kafka_header_add(headers, "null", -1, nil, 0)
        _ = rd_kafka_header_add(headers, "ce_id", -1, "x", 1)
        let fields = RDKafkaConsumer.fields(headers)
        #expect(fields.map(\.name) == ["ce_id", "binary", "empty", "null", "ce_id"])
        #expect(fields[0].text == "0194c3a0-7b1e-7c3d-9f00-000000000001")
        #expect(fields[1].value == long)
        #expect(Array(fields[1].value) == Array(long))
        #expect(fields[2].value.isEmpty && fields[3].value.isEmpty)
        #expect(fields[4].text == "x")
    }
}
