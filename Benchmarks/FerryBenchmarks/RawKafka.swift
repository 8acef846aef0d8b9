import CRDKafka
import FerryKafka
import Foundation
import Synchronization

/// librdkafka used directly, in the smallest loops that do the benchmark's work, with the
/// settings Ferry's Kafka adapter uses: the physical limit for Ferry on this broker.
struct RawKafka {
    let brokers: String

    /// The producer and consumer settings of Ferry's adapter (RDKafkaProducer, RDKafkaConsumer).
    static let producerSettings = [
        "enable.idempotence": "true", "acks": "all", "linger.ms": "5", "message.timeout.ms": "60000",
        "queue.buffering.max.messages": "100000",
    ]
    static let consumerSettings = [
        "enable.auto.commit": "true", "auto.commit.interval.ms": "1000", "enable.auto.offset.store": "false",
        "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "100", "auto.offset.reset": "earliest",
    ]

    /// Delivery reports seen by the producer's callback.
    final class Reports: Sendable {
        let done = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
    }

    /// Publishes `workload.events` copies of `record` (headers, key and value as Ferry writes them).
    func publish(topic: String, _ record: KafkaRecord, _ workload: Workload) throws -> Double {
        let (producer, reports) = try makeProducer()
        defer { destroy(producer, reports) }
        try warmUp(producer, reports, topic: topic, record)
        let rate = try workload.publishRate { count in try produceAndWait(producer, reports, topic: topic, record, count: count) }
        try Self.check(reports)
        return rate
    }

    /// Microseconds from produce to delivery report, one record at a time.
    func latency(topic: String, _ record: KafkaRecord, _ workload: Workload) throws -> [Double] {
        let (producer, reports) = try makeProducer()
        defer { destroy(producer, reports) }
        try warmUp(producer, reports, topic: topic, record)
        return try workload.latencies { try produceAndWait(producer, reports, topic: topic, record, count: 1) }
    }

    /// Consumes `count` records as a group member, storing each offset for the auto-commit
    /// (what acknowledging means on Kafka); timed from the first record.
    func consume(topic: String, group: String, count: Int, prefetch: Int) throws -> Double {
        var started: ContinuousClock.Instant?
        try read(topic: topic, group: group, count: count, prefetch: prefetch) { batch in
            if started == nil { started = .now }
            _ = batch
        }
        return Rate.perSecond(count, ContinuousClock.now - started!)
    }

    /// Reads `count` records in batches of up to `prefetch`, hands each batch to `body`, then
    /// stores the batch's offsets: a record counts as done only after `body` returned.
    func read(topic: String, group: String, count: Int, prefetch: Int, _ body: ([KafkaRecord]) throws -> Void) throws {
        var settings = Self.consumerSettings
        settings["group.id"] = group
        let consumer = try makeClient(RD_KAFKA_CONSUMER, settings)
        defer {
            rd_kafka_consumer_close(consumer)
            rd_kafka_destroy(consumer)
        }
        rd_kafka_poll_set_consumer(consumer)
        let list = rd_kafka_topic_partition_list_new(1)!
        rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        rd_kafka_subscribe(consumer, list)
        rd_kafka_topic_partition_list_destroy(list)
        let queue = rd_kafka_queue_get_consumer(consumer)!
        defer { rd_kafka_queue_destroy(queue) }
        var buffer = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: prefetch)
        var seen = 0
        while seen < count {
            let got = rd_kafka_consume_batch_queue(queue, 100, &buffer, prefetch)
            guard got > 0 else { continue }
            var records: [KafkaRecord] = []
            var done: [UnsafeMutablePointer<rd_kafka_message_t>] = []
            for message in buffer.prefix(got).compactMap({ $0 }) {
                guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    rd_kafka_message_destroy(message)
                    continue
                }
                records.append(Self.record(message))
                done.append(message)
            }
            try body(records)
            for message in done {
                rd_kafka_offset_store(message.pointee.rkt, message.pointee.partition, message.pointee.offset)
                rd_kafka_message_destroy(message)
            }
            seen += records.count
        }
    }

    private static func record(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaRecord {
        let m = message.pointee
        var record = KafkaRecord(
            key: m.key.map { Data(bytes: $0, count: m.key_len) }, value: m.payload.map { Data(bytes: $0, count: m.len) } ?? Data())
        var headers: OpaquePointer?
        if rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headers, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                record.headers.append(.init(name: String(cString: name!), value: value.map { Data(bytes: $0, count: size) } ?? Data()))
                index += 1
            }
        }
        return record
    }

    private func makeProducer() throws -> (OpaquePointer, Reports) {
        let reports = Reports()
        let producer = try makeClient(RD_KAFKA_PRODUCER, Self.producerSettings, reports: reports)
        return (producer, reports)
    }

    /// One record, delivered before any timing starts: connecting, metadata and the idempotent
    /// producer's id are not part of the measurement (every contender warms up the same way).
    private func warmUp(_ producer: OpaquePointer, _ reports: Reports, topic: String, _ record: KafkaRecord) throws {
        try produceAndWait(producer, reports, topic: topic, record, count: 1)
    }

    /// Produces `count` copies of `record`, then serves delivery reports until all are in.
    private func produceAndWait(_ producer: OpaquePointer, _ reports: Reports, topic: String, _ record: KafkaRecord, count: Int) throws {
        let target = reports.done.load(ordering: .acquiring) + count
        for _ in 0..<count { try produce(producer, topic: topic, record) }
        while reports.done.load(ordering: .acquiring) < target { rd_kafka_poll(producer, 1) }
    }

    /// One record, copied by librdkafka; its headers pass to librdkafka on success.
    func produce(_ producer: OpaquePointer, topic: String, _ record: KafkaRecord) throws {
        while true {
            let headers = rd_kafka_headers_new(record.headers.count)!
            for header in record.headers {
                _ = header.value.withUnsafeBytes { rd_kafka_header_add(headers, header.name, -1, $0.baseAddress, $0.count) }
            }
            let key = record.key ?? Data()
            let code = key.withUnsafeBytes { key in
                record.value.withUnsafeBytes { value in
                    ferry_rd_kafka_produce(
                        producer, topic, RD_KAFKA_PARTITION_UA, key.baseAddress, key.count, value.baseAddress, value.count, 0, headers, nil)
                }
            }
            if code == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            rd_kafka_headers_destroy(headers)
            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw BenchmarkFailure("raw Kafka produce: \(String(cString: rd_kafka_err2str(code)))")
            }
            rd_kafka_poll(producer, 1)
        }
    }

    /// `reports` is kept alive until the callbacks that point at it can no longer run.
    private func destroy(_ producer: OpaquePointer, _ reports: Reports) {
        withExtendedLifetime(reports) {
            rd_kafka_flush(producer, 10_000)
            rd_kafka_destroy(producer)
        }
    }

    private func makeClient(_ type: rd_kafka_type_t, _ settings: [String: String], reports: Reports? = nil) throws -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var error = [CChar](repeating: 0, count: 512)
        for (key, value) in settings.merging(["bootstrap.servers": brokers, "log_level": "3"], uniquingKeysWith: { $1 }) {
            guard rd_kafka_conf_set(conf, key, value, &error, error.count) == RD_KAFKA_CONF_OK else {
                throw BenchmarkFailure("raw Kafka setting \(key): \(Self.text(error))")
            }
        }
        if let reports {
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(reports).toOpaque())
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                let reports = Unmanaged<Reports>.fromOpaque(opaque!).takeUnretainedValue()
                if message!.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR { reports.failed.add(1, ordering: .relaxed) }
                reports.done.add(1, ordering: .releasing)
            }
        }
        guard let client = rd_kafka_new(type, conf, &error, error.count) else {
            throw BenchmarkFailure("raw Kafka client: \(Self.text(error))")
        }
        return client
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func check(_ reports: Reports) throws {
        let failed = reports.failed.load(ordering: .relaxed)
        if failed > 0 { throw BenchmarkFailure("raw Kafka: \(failed) records were not delivered") }
    }
}
