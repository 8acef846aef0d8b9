import CRDKafka
import Ferry

/// Topic administration and offset queries. Every function blocks: call them on a
/// `BlockingExecutor`.
enum RDKafkaAdmin {
    /// Creates `topic` with `partitions`; an existing topic is fine.
    static func createTopic(_ client: OpaquePointer, _ topic: String, partitions: Int, brokers: String) throws(FerryError) {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, Int32(partitions), 1, &errorText, errorText.count) else {
            throw FerryError(.invalidEndpoint, "cannot describe Kafka topic '\(topic)': \(RDKafkaContext.text(errorText))")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        let queue = rd_kafka_queue_new(client)!
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(client, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, 15_000) else {
            throw FerryError(
                .timeout, "Kafka at \(brokers) did not answer the creation of topic '\(topic)' within 15 s",
                remedy: "check that the broker is running", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw FerryError(
                .connectionFailed,
                "creating Kafka topic '\(topic)' at \(brokers) failed: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let first = results[0]
        else { return }
        let code = rd_kafka_topic_result_error(first)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
            throw FerryError(.connectionFailed, "creating Kafka topic '\(topic)' at \(brokers) failed: \(RDKafkaContext.describe(code))")
        }
    }

    /// How many partitions `topic` has.
    /// `topic`'s partitions. A broker that auto-creates topics creates it when it is missing, as
    /// a subscriber expects; `existing` changes nothing.
    static func partitionCount(_ client: OpaquePointer, _ topic: String, brokers: String) throws(FerryError) -> Int {
        let handle = rd_kafka_topic_new(client, topic, nil)
        defer { rd_kafka_topic_destroy(handle) }
        return try partitions(client, topic, brokers: brokers, handle)
    }

    /// `topic`'s partitions, asked as part of every topic's metadata: a request naming the topic
    /// would make a broker that auto-creates topics create it (`ferry lag` and `dlq list` would
    /// leave retry topics behind).
    static func existingPartitionCount(_ client: OpaquePointer, _ topic: String, brokers: String) throws(FerryError) -> Int {
        try partitions(client, topic, brokers: brokers, nil)
    }

    private static func partitions(
        _ client: OpaquePointer, _ topic: String, brokers: String, _ handle: OpaquePointer?
    ) throws(FerryError) -> Int {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(client, handle == nil ? 1 : 0, handle, &metadata, 10_000)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw FerryError(
                .connectionFailed, "no metadata for Kafka topic '\(topic)' from \(brokers): \(RDKafkaContext.describe(code))",
                remedy: "check that the broker is running", isRetriable: true)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let found = topics.first(where: { String(cString: $0.topic) == topic && $0.err == RD_KAFKA_RESP_ERR_NO_ERROR }) else {
            throw FerryError(
                .invalidEndpoint, "Kafka topic '\(topic)' does not exist at \(brokers)",
                remedy: "create it (ferry's provision or the broker's tools) or check the name")
        }
        return Int(found.partition_cnt)
    }

    /// Per partition of `topic`: the group's committed offset (nil when none) and the end offset.
    static func offsets(
        _ consumer: OpaquePointer, _ topic: String, partitions: Int, brokers: String, committed: Bool = true
    ) throws(FerryError) -> [(partition: Int32, committed: Int64?, end: Int64, start: Int64)] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<Int32(partitions) { rd_kafka_topic_partition_list_add(list, topic, partition) }
        let code = committed ? rd_kafka_committed(consumer, list, 10_000) : RD_KAFKA_RESP_ERR_NO_ERROR
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw FerryError(
                .connectionFailed, "cannot read committed offsets of '\(topic)' from \(brokers): \(RDKafkaContext.describe(code))",
                isRetriable: true)
        }
        var out: [(Int32, Int64?, Int64, Int64)] = []
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var low: Int64 = 0
            var high: Int64 = 0
            let watermark = rd_kafka_query_watermark_offsets(consumer, topic, element.partition, &low, &high, 10_000)
            guard watermark == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw FerryError(
                    .connectionFailed,
                    "cannot read the end offset of \(topic)/\(element.partition) from \(brokers): \(RDKafkaContext.describe(watermark))",
                    isRetriable: true)
            }
            out.append((element.partition, element.offset >= 0 ? element.offset : nil, high, low))
        }
        return try correctEnds(consumer, topic, out)
    }

    /// Some Kafka-compatible brokers (Tansu 0.6) report the base offset of the last record batch
    /// + 1 as the high watermark. Reading from just below the reported end finds the true end:
    /// on Apache Kafka that read returns a single record and changes nothing.
    private static func correctEnds(
        _ consumer: OpaquePointer, _ topic: String, _ offsets: [(partition: Int32, committed: Int64?, end: Int64, start: Int64)]
    ) throws(FerryError) -> [(partition: Int32, committed: Int64?, end: Int64, start: Int64)] {
        let probed = offsets.filter { $0.end > $0.start }
        guard !probed.isEmpty else { return offsets }
        let list = rd_kafka_topic_partition_list_new(Int32(probed.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for entry in probed { rd_kafka_topic_partition_list_add(list, topic, entry.partition).pointee.offset = entry.end - 1 }
        rd_kafka_assign(consumer, list)
        defer { rd_kafka_assign(consumer, nil) }
        var ends = Dictionary(uniqueKeysWithValues: probed.map { ($0.partition, $0.end) })
        var open = Set(probed.map(\.partition))
        let deadline = ContinuousClock.now + .seconds(10)
        while !open.isEmpty, ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(consumer, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let partition = message.pointee.partition
            if message.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                open.remove(partition)
            } else if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                ends[partition] = max(ends[partition] ?? 0, message.pointee.offset + 1)
            }
        }
        return offsets.map { ($0.partition, $0.committed, ends[$0.partition] ?? $0.end, $0.start) }
    }
}
