import CRDKafka
import Dispatch
import Ferry
import Foundation
import Logging
import Synchronization

/// One librdkafka producer (thread-safe, shared by every publisher of a transport): records go
/// in without blocking, and their delivery reports come back on a dedicated poll thread.
final class RDKafkaProducer: @unchecked Sendable {
    // @unchecked: `client` is a librdkafka handle, documented thread-safe; it is destroyed
    // only in `close()`, after the poll thread has stopped.
    let client: OpaquePointer
    let context: RDKafkaContext
    private let running = Atomic<Bool>(true)
    private let pollStopped = DispatchSemaphore(value: 0)
    private let blocking: BlockingExecutor

    init(settings: [String: String], context: RDKafkaContext) throws(FerryError) {
        self.context = context
        var all: [String: String] = [
            "bootstrap.servers": context.brokers,
            "enable.idempotence": "true",
            "acks": "all",
            "linger.ms": "5",
            "queue.buffering.max.messages": "100000",
        ]
        all.merge(settings) { $1 }
        let conf = try context.makeConfiguration(all)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let ticketPointer = message.pointee._private, let context = RDKafkaContext.from(opaque) else { return }
            let ticket = Unmanaged<DeliveryTicket>.fromOpaque(ticketPointer).takeRetainedValue()
            RDKafkaProducer.report(ticket, message.pointee, context)
        }
        client = try context.makeClient(RD_KAFKA_PRODUCER, conf)
        blocking = BlockingExecutor(label: "ferry.kafka.producer")
        let thread = Thread { [self] in
            while running.load(ordering: .relaxed) { rd_kafka_poll(client, 100) }
            pollStopped.signal()
        }
        thread.name = "ferry.kafka.poll"
        thread.start()
        context.logger.debug(
            "Kafka producer started", metadata: ["brokers": "\(context.brokers)", "librdkafka": "\(KafkaRuntime.version)"])
    }

    /// Sends records and waits for every delivery report. A full local queue (the broker is
    /// slow or gone) makes this wait instead of growing memory.
    func produce(
        _ records: [(eventID: String, record: KafkaRecord)], topic: String, partition: Int32 = RD_KAFKA_PARTITION_UA
    ) async -> [Result<Receipt, FerryError>] {
        let batch = DeliveryBatch(count: records.count)
        // Made once: a String passed as `const char *` is copied to the heap per call when short.
        let topicName = topic.utf8CString
        for (index, item) in records.enumerated() {
            let ticket = DeliveryTicket(batch: batch, index: index, eventID: item.eventID, topic: topic)
            while true {
                let code = topicName.withUnsafeBufferPointer {
                    enqueue(item.record, topic: $0.baseAddress!, partition: partition, ticket: ticket)
                }
                if code == RD_KAFKA_RESP_ERR_NO_ERROR { break }
                if code == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                    try? await Task.sleep(for: .milliseconds(2))
                    continue
                }
                batch.complete(index, .failure(failure(code, ticket: ticket)))
                break
            }
        }
        return await batch.results()
    }

    private func enqueue(
        _ record: KafkaRecord, topic: UnsafePointer<CChar>, partition: Int32, ticket: DeliveryTicket
    ) -> rd_kafka_resp_err_t {
        let headers = rd_kafka_headers_new(record.headers.count)!
        for header in record.headers {
            // `withCString`: the implicit conversion copies a short (inline) name to the heap.
            _ = header.name.withCString { name in
                header.value.withUnsafeBytes { rd_kafka_header_add(headers, name, -1, $0.baseAddress, $0.count) }
            }
        }
        let opaque = Unmanaged.passRetained(ticket).toOpaque()
        let code = record.value.withUnsafeBytes { value in
            withKey(record.key) { key, keyLength in
                ferry_rd_kafka_produce(
                    client, topic, partition, key, keyLength, value.baseAddress, value.count, record.timestampMillis ?? 0, headers, opaque)
            }
        }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_headers_destroy(headers)
            Unmanaged<DeliveryTicket>.fromOpaque(opaque).release()
        }
        return code
    }

    private func withKey<T>(_ key: Data?, _ body: (UnsafeRawPointer?, Int) -> T) -> T {
        guard let key else { return body(nil, 0) }
        return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }

    /// Called on the poll thread for each delivery report.
    private static func report(_ ticket: DeliveryTicket, _ message: rd_kafka_message_t, _ context: RDKafkaContext) {
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            context.noteWorking()
            let position = Position(destination: ticket.topic, partition: Int(message.partition), offset: String(message.offset))
            ticket.batch.complete(ticket.index, .success(Receipt(eventID: ticket.eventID, position: position)))
        } else {
            ticket.batch.complete(
                ticket.index,
                .failure(
                    FerryError(
                        .publishFailed,
                        "Kafka at \(context.brokers) did not confirm event \(ticket.eventID) on topic '\(ticket.topic)': "
                            + RDKafkaContext.describe(message.err) + (context.lastError.map { " (last broker error: \($0))" } ?? ""),
                        remedy: RDKafkaProducer.remedy(message.err, lastError: context.lastError),
                        isRetriable: message.err != RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)))
        }
    }

    private func failure(_ code: rd_kafka_resp_err_t, ticket: DeliveryTicket) -> FerryError {
        FerryError(
            .publishFailed,
            "Kafka refused event \(ticket.eventID) for topic '\(ticket.topic)' at \(context.brokers): \(RDKafkaContext.describe(code))",
            remedy: RDKafkaProducer.remedy(code), isRetriable: Self.mayPassIfTriedAgain(code))
    }

    /// Whether an enqueue refusal may pass later: a topic or partition the client does not know
    /// yet (metadata lags behind), and the like; not an event too large, a bad argument, or a
    /// producer that failed for good. A relay retries the first kind instead of dead-lettering.
    static func mayPassIfTriedAgain(_ code: rd_kafka_resp_err_t) -> Bool {
        ![RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__INVALID_TYPE]
            .contains(code)
    }

    /// What to do about a failed delivery; the last broker error says more than a timeout does.
    static func remedy(_ code: rd_kafka_resp_err_t, lastError: String? = nil) -> String? {
        if let lastError, lastError.contains("Authentication failure") {
            return "check the user and password in the endpoint URL, and rdkafka.sasl.mechanisms (PLAIN unless set)"
        }
        if let lastError, lastError.contains("SSL handshake failed") || lastError.contains("certificate verify failed") {
            return "give the CA that signed the broker's certificate in rdkafka.ssl.ca.location, and a host name the certificate names"
        }
        return switch code {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
            "create the topic first (ferry's provision, or the broker's tools), or enable auto-creation on the broker"
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
            "check that the broker is running and reachable; the event was not written and can be published again"
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            "make the event smaller or raise the broker's and producer's message size limits"
        default: nil
        }
    }

    /// Waits up to `timeout` for queued records, then stops the poll thread and frees the client.
    func close(timeout: Duration = .seconds(30)) async {
        let millis = Int32(timeout.components.seconds * 1000)
        let left = await blocking.run { [self] in rd_kafka_flush(client, millis) }
        if left != RD_KAFKA_RESP_ERR_NO_ERROR {
            context.logger.error("Kafka producer closed with records not confirmed", metadata: ["brokers": "\(context.brokers)"])
        }
        running.store(false, ordering: .relaxed)
        await blocking.run { [pollStopped] in pollStopped.wait() }
        rd_kafka_destroy(client)
    }
}
