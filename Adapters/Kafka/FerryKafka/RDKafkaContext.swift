import CRDKafka
import Ferry
import Logging
import Synchronization

/// What librdkafka's C callbacks reach through the client's opaque pointer: where to log,
/// the last broker error (to explain failures), and the consumer's rebalance handler.
///
/// librdkafka reports a broker it cannot reach on every reconnect, several times a second: a
/// failure is logged once, and again only after the client worked in between.
final class RDKafkaContext: Sendable {
    typealias Rebalance = @Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void

    let logger: Logger
    let brokers: String
    let rebalance: Rebalance?
    private let lastErrorText = Mutex<String?>(nil)
    /// The failures logged since the client last worked.
    private let loggedFailures = Mutex<Set<String>>([])
    /// Whether any is: lets `noteWorking`, called for every delivery report, skip the lock.
    private let failing = Atomic<Bool>(false)

    init(logger: Logger, brokers: String, rebalance: Rebalance? = nil) {
        self.logger = logger
        self.brokers = brokers
        self.rebalance = rebalance
    }

    var lastError: String? { lastErrorText.withLock { $0 } }

    func recordError(_ text: String) { lastErrorText.withLock { $0 = text } }

    /// Logs a client error unless it was logged since the client last worked.
    func logFailure(_ text: String) {
        // The part before librdkafka's "(after Nms in state ...)" names the failure.
        let failure = String(text.prefix { $0 != "(" })
        guard
            loggedFailures.withLock({ logged in
                defer { failing.store(true, ordering: .relaxed) }
                return logged.insert(failure).inserted
            })
        else { return }
        logger.warning("Kafka client error", metadata: ["brokers": "\(brokers)", "error": "\(text)"])
    }

    /// The client did its work (a delivery confirmed, records fetched): a failure logged
    /// before is over.
    func noteWorking() {
        guard failing.load(ordering: .relaxed) else { return }
        let wasFailing = loggedFailures.withLock { logged in
            defer {
                logged.removeAll()
                failing.store(false, ordering: .relaxed)
            }
            return !logged.isEmpty
        }
        if wasFailing { logger.notice("Kafka at \(brokers) working again") }
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaContext? {
        opaque.map { Unmanaged<RDKafkaContext>.fromOpaque($0).takeUnretainedValue() }
    }

    /// A `rd_kafka_conf_t` with `settings` and the callbacks every Ferry client installs.
    /// A refused setting is named (never its value: it may be a password).
    func makeConfiguration(_ settings: [String: String]) throws(FerryError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw FerryError(
                    .invalidEndpoint, "Kafka setting '\(name)' for \(brokers) was refused: \(RDKafkaContext.text(errorText))",
                    remedy: "check the rdkafka.* parameters of the endpoint URL against librdkafka's CONFIGURATION.md")
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { client, level, facility, message in
            guard let client, let context = RDKafkaContext.from(rd_kafka_opaque(client)) else { return }
            let facility = facility.map { String(cString: $0) } ?? ""
            let text = "\(facility) \(message.map { String(cString: $0) } ?? "")"
            // FAIL repeats what the error callback reports, once per reconnect.
            let logLevel = facility == "FAIL" ? .debug : RDKafkaContext.logLevel(syslog: level)
            context.logger.log(level: logLevel, "librdkafka: \(text)")
        }
        rd_kafka_conf_set_error_cb(conf) { _, code, reason, opaque in
            guard let context = RDKafkaContext.from(opaque) else { return }
            let text = "\(String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(code)))): \(reason.map { String(cString: $0) } ?? "")"
            context.recordError(text)
            context.logFailure(text)
        }
        if rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { client, code, partitions, opaque in
                guard let client, let partitions, let context = RDKafkaContext.from(opaque) else { return }
                context.rebalance?(client, code, partitions)
            }
        }
        return conf
    }

    /// Creates the client; librdkafka owns `conf` from then on.
    func makeClient(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws(FerryError) -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw FerryError(.connectionFailed, "cannot create a Kafka client for \(brokers): \(RDKafkaContext.text(errorText))")
        }
        return client
    }

    static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }

    static func describe(_ code: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(code)) }

    /// The text librdkafka wrote into an error buffer, up to its terminating zero.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
