import CRDKafka

/// Facts about the librdkafka library loaded at run time (which may be newer than the headers).
package enum KafkaRuntime {
    package static var version: String { String(cString: rd_kafka_version_str()) }

    /// librdkafka before 2.1 cannot parse the ApiVersions v3 reply of newer brokers (Tansu).
    package static var isRecentEnough: Bool { rd_kafka_version() >= 0x0201_0000 }
}
