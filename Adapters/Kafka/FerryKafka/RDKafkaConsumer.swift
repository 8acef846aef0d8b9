import CRDKafka
import Ferry
import Foundation
import Logging
import Synchronization

/// One librdkafka group consumer. Polls (blocking, with a timeout) run on its own
/// `BlockingExecutor`, a batch at a time; rebalances are handled inside those polls.
final class RDKafkaConsumer: @unchecked Sendable {
    // @unchecked: the handles are thread-safe librdkafka objects; `alive` guards every call
    // made off the executor against `close()` destroying them.
    private let client: OpaquePointer
    private let queue: OpaquePointer
    let context: RDKafkaContext
    let blocking = BlockingExecutor(label: "ferry.kafka.consumer")
    private let alive = Mutex(true)

    /// `onAssign` and `onRevoke` are told of rebalances; `onRevoke` returns the offsets that are
    /// safe to commit for the partitions being taken away, which are committed before they go.
    /// `startOffsets`: where an assigned partition the group has never committed starts.
    init(
        settings: [String: String], brokers: String, logger: Logger, startOffsets: [TopicPartition: Int64] = [:],
        onAssign: @escaping @Sendable ([TopicPartition]) -> Void,
        onRevoke: @escaping @Sendable ([TopicPartition]) -> [(TopicPartition, Int64)]
    ) throws(FerryError) {
        context = RDKafkaContext(logger: logger, brokers: brokers) { client, code, list in
            let partitions = RDKafkaConsumer.partitions(of: list)
            switch code {
            case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                if !startOffsets.isEmpty { RDKafkaConsumer.start(client, list, at: startOffsets, logger: logger) }
                rd_kafka_assign(client, list)
                onAssign(partitions)
                logger.info("Kafka partitions assigned", metadata: ["partitions": "\(partitions)"])
            case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                RDKafkaConsumer.store(client, onRevoke(partitions))
                let committed = rd_kafka_commit(client, nil, 0)
                if committed != RD_KAFKA_RESP_ERR_NO_ERROR && committed != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("Kafka commit on revoke failed", metadata: ["error": "\(RDKafkaContext.describe(committed))"])
                }
                rd_kafka_assign(client, nil)
                logger.debug("Kafka partitions revoked", metadata: ["partitions": "\(partitions)"])
            default:
                logger.warning("Kafka rebalance error", metadata: ["error": "\(RDKafkaContext.describe(code))"])
                rd_kafka_assign(client, nil)
            }
        }
        var all: [String: String] = [
            "bootstrap.servers": brokers,
            "enable.auto.commit": "true",
            "auto.commit.interval.ms": "1000",
            "enable.auto.offset.store": "false",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
            "fetch.wait.max.ms": "100",
            // librdkafka fetches ahead up to 100,000 messages or 64 MiB by default: most of a
            // relay's memory.
            "queued.max.messages.kbytes": "16384",
        ]
        all.merge(settings) { $1 }
        let conf = try context.makeConfiguration(all)
        client = try context.makeClient(RD_KAFKA_CONSUMER, conf)
        rd_kafka_poll_set_consumer(client)
        queue = rd_kafka_queue_get_consumer(client)
    }

    /// The value librdkafka has for a configuration property, as it reports it.
    func setting(_ name: String) -> String? {
        var size = 0
        guard rd_kafka_conf_get(rd_kafka_conf(client), name, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(rd_kafka_conf(client), name, &buffer, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(cString: buffer)
    }

    func subscribe(_ topics: [String]) throws(FerryError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let code = rd_kafka_subscribe(client, list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw FerryError(
                .connectionFailed, "cannot subscribe to Kafka topics \(topics) at \(context.brokers): \(RDKafkaContext.describe(code))")
        }
    }

    /// Reads these partitions from these offsets, without joining the group (browsing).
    /// Blocking: call on `blocking`.
    func assign(_ offsets: [(TopicPartition, Int64)]) {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
        }
        rd_kafka_assign(client, list)
    }

    /// The high watermark of `partition`: where the next record will be written. Blocking:
    /// call on `blocking`.
    func end(of partition: TopicPartition) throws(FerryError) -> Int64 {
        var low: Int64 = 0
        var high: Int64 = 0
        let code = rd_kafka_query_watermark_offsets(client, partition.topic, partition.partition, &low, &high, 10_000)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw FerryError(
                .connectionFailed, "cannot read the end offset of \(partition) from \(context.brokers): \(RDKafkaContext.describe(code))",
                isRetriable: true)
        }
        return high
    }

    /// Stops fetching from `pause` and starts again on `resume`. Blocking: call on `blocking`.
    func pause(_ pause: [TopicPartition], resume: [TopicPartition]) {
        for (partitions, change) in [(pause, rd_kafka_pause_partitions), (resume, rd_kafka_resume_partitions)] where !partitions.isEmpty {
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in partitions { rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) }
            _ = change(client, list)
        }
    }

    /// Per partition of `topic`: the group's committed offset (nil when none), the first and
    /// the end offset. Blocking: call on `blocking`.
    /// `committed: false` leaves the group's committed offsets out (nil) and saves the look-up.
    func offsets(_ topic: String, partitions: Int, committed: Bool = true) throws(FerryError) -> [(
        partition: Int32, committed: Int64?, end: Int64, start: Int64
    )] {
        try RDKafkaAdmin.offsets(client, topic, partitions: partitions, brokers: context.brokers, committed: committed)
    }

    /// Per partition, the first offset whose record's timestamp is at or after `millis`, as the
    /// broker answers (ListOffsets); the end offset where none is. Blocking: call on `blocking`.
    func offsets(_ topic: String, at millis: Int64, partitions: [Int32]) throws(FerryError) -> [Int32: Int64] {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions { rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = millis }
        let code = rd_kafka_offsets_for_times(client, list, 10_000)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw FerryError(
                .connectionFailed, "cannot look up offsets of '\(topic)' by time at \(context.brokers): \(RDKafkaContext.describe(code))",
                isRetriable: true)
        }
        var out: [Int32: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset >= 0 {
            out[list.pointee.elems[index].partition] = list.pointee.elems[index].offset
        }
        return out
    }

    /// The offset and timestamp of the first record of `partition` at or after `offset`; nil
    /// when none came within 5 s. Reassigns this (group-less) consumer. Blocking: call on `blocking`.
    func timestamp(_ topic: String, _ partition: Int32, at offset: Int64) -> (offset: Int64, millis: Int64)? {
        assign([(TopicPartition(topic: topic, partition: partition), offset)])
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            for message in poll(max: 1, timeout: 200) where message.partition == partition && message.offset >= offset {
                return (message.offset, message.record.timestampMillis ?? 0)
            }
        }
        return nil
    }

    /// Up to `max` records, waiting at most `timeout` milliseconds. Blocking: call on `blocking`.
    func poll(max: Int, timeout: Int32) -> [KafkaMessage] {
        guard alive.withLock({ $0 }) else { return [] }
        var batch = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: max)
        let count = rd_kafka_consume_batch_queue(queue, timeout, &batch, max)
        guard count > 0 else { return [] }
        context.noteWorking()
        var out: [KafkaMessage] = []
        out.reserveCapacity(count)
        // A batch's records mostly share a topic: its name is made once (each record holds a
        // reference to its topic handle, so a pointer seen in this batch names one topic).
        var topics: [OpaquePointer: String] = [:]
        for message in batch.prefix(count).compactMap({ $0 }) {
            defer { rd_kafka_message_destroy(message) }
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.pointee.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                    context.logger.warning(
                        "Kafka consumer error",
                        metadata: [
                            "topic": "\(topic)", "brokers": "\(context.brokers)",
                            "error": "\(RDKafkaContext.describe(message.pointee.err))",
                        ])
                }
                continue
            }
            out.append(RDKafkaConsumer.copy(message, topics: &topics))
        }
        return out
    }

    /// Hands librdkafka the offsets to commit next (it commits them every second and on close).
    func store(_ offsets: [(TopicPartition, Int64)]) {
        alive.withLock { alive in
            guard alive else { return }
            RDKafkaConsumer.store(client, offsets)
        }
    }

    /// Commits what is stored, leaves the group and frees the client. Blocking: runs on `blocking`.
    func close() async {
        await blocking.run { [self] in
            guard alive.withLock({ $0 }) else { return }
            rd_kafka_consumer_close(client)
            alive.withLock { $0 = false }
            rd_kafka_queue_destroy(queue)
            rd_kafka_destroy(client)
        }
    }

    /// Sets the offset of each partition in `list` that the group never committed to its
    /// `startOffsets` entry; the others start from their committed offset.
    private static func start(
        _ client: OpaquePointer, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, at startOffsets: [TopicPartition: Int64],
        logger: Logger
    ) {
        let code = rd_kafka_committed(client, list, 10_000)
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR, element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                // Unknown: the committed offset, else auto.offset.reset (earliest), read more, never less.
                list.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_INVALID)
                continue
            }
            let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
            if element.offset < 0, let start = startOffsets[partition] { list.pointee.elems[index].offset = start }
        }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "cannot read the group's committed offsets; partitions it never committed start at the earliest offset",
                metadata: ["error": "\(RDKafkaContext.describe(code))"])
        }
    }

    private static func store(_ client: OpaquePointer, _ offsets: [(TopicPartition, Int64)]) {
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
        }
        _ = rd_kafka_offsets_store(client, list)  // per-partition errors: revoked partitions, harmless
    }

    static func partitions(of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return TopicPartition(topic: String(cString: element.topic), partition: element.partition)
        }
    }

    /// The record's headers. Their values are copied into one buffer and each field holds a
    /// slice of it: one allocation for all values rather than one per value over 14 bytes.
    static func fields(_ headers: OpaquePointer) -> [WireField] {
        let count = rd_kafka_header_cnt(headers)
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        var total = 0
        for index in 0..<count where rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            total += value == nil ? 0 : size
        }
        var values = Data(count: total)
        values.withUnsafeMutableBytes { buffer in
            var offset = 0
            for index in 0..<count where rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                guard let value, size > 0 else { continue }
                buffer.baseAddress!.advanced(by: offset).copyMemory(from: value, byteCount: size)
                offset += size
            }
        }
        var fields: [WireField] = []
        fields.reserveCapacity(count)
        var offset = 0
        for index in 0..<count where rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            let length = value == nil ? 0 : size
            let text = name.map {
                KafkaWireFormat.binding.headerName(
                    utf8: UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0)))
            }
            fields.append(WireField(name: text ?? "", value: values[offset..<(offset + length)]))
            offset += length
        }
        return fields
    }

    private static func copy(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topics: inout [OpaquePointer: String]) -> KafkaMessage {
        let m = message.pointee
        var record = KafkaRecord(value: m.payload.map { Data(bytes: $0, count: m.len) } ?? Data())
        record.key = m.key.map { Data(bytes: $0, count: m.key_len) }
        var headers: OpaquePointer?
        if rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
            record.headers = Self.fields(headers)
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        if type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE { record.timestampMillis = timestamp }
        let topic =
            m.rkt.map { rkt in
                if let known = topics[rkt] { return known }
                let name = String(cString: rd_kafka_topic_name(rkt))
                topics[rkt] = name
                return name
            } ?? ""
        return KafkaMessage(topic: topic, partition: m.partition, offset: m.offset, record: record)
    }
}
