import CRDKafka
import Ferry
import Logging

/// The `kafka://` transport over librdkafka. One idempotent producer per broker list is shared
/// by every publisher and by the consumers' retries and dead letters.
public final class KafkaTransport: Transport {
    public let schemes = ["kafka"]
    private let logger: Logger
    private let producers = Locked<[String: RDKafkaProducer]>([:])
    private let admin = BlockingExecutor(label: "ferry.kafka.admin")

    public init(logger: Logger = Logger(label: "ferry.kafka")) {
        self.logger = logger
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher {
        let kafka = try KafkaEndpoint(endpoint)
        return try StructuredPublisher.wrapping(
            KafkaPublisher(producer: try producer(for: kafka), topic: kafka.topic, partition: kafka.partition ?? RD_KAFKA_PARTITION_UA),
            for: endpoint)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try producer(for: kafka)
        let partitions = try await admin.run { try RDKafkaAdmin.partitionCount(producer.client, kafka.topic, brokers: kafka.brokers) }
        let retryTopic = kafka.retryTopic(group: options.group)
        try await admin.run { try RDKafkaAdmin.createTopic(producer.client, retryTopic, partitions: partitions, brokers: kafka.brokers) }
        var starts: [TopicPartition: Int64] = [:]
        switch options.start {
        case .earliest, .latest: break
        case .time, .offset:
            for (partition, offset) in try await startOffsets(options.start, kafka, partitions: partitions) {
                starts[TopicPartition(topic: kafka.topic, partition: partition)] = offset
            }
        }
        let source = try KafkaSource(endpoint: kafka, options: options, producer: producer, logger: logger, startOffsets: starts)
        return Subscription(endpoint: endpoint, options: options, source: source, transport: self, logger: logger)
    }

    public func provision(_ endpoint: Endpoint, partitions: Int) async throws {
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try producer(for: kafka)
        try await admin.run {
            try RDKafkaAdmin.createTopic(producer.client, kafka.topic, partitions: partitions, brokers: kafka.brokers)
            try RDKafkaAdmin.createTopic(producer.client, kafka.deadLetterTopic, partitions: partitions, brokers: kafka.brokers)
        }
    }

    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint {
        let kafka = try KafkaEndpoint(endpoint)
        return endpoint.with(path: kafka.deadLetterTopic, query: ["dlq": nil])
    }

    /// End offset minus committed offset per partition, for the topic and the group's retry topic.
    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] {
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try producer(for: kafka)
        var settings = kafka.settings
        settings.merge([
            "bootstrap.servers": kafka.brokers, "group.id": group, "enable.auto.commit": "false",
            "enable.partition.eof": "true",
        ]) { $1 }
        let context = RDKafkaContext(logger: logger, brokers: kafka.brokers)
        let lagSettings = settings
        return try await admin.run {
            let consumer = try context.makeClient(RD_KAFKA_CONSUMER, try context.makeConfiguration(lagSettings))
            defer { rd_kafka_destroy(consumer) }
            var entries: [LagEntry] = []
            for topic in [kafka.topic, kafka.retryTopic(group: group)] {
                guard let count = try? RDKafkaAdmin.existingPartitionCount(producer.client, topic, brokers: kafka.brokers) else {
                    continue
                }
                for entry in try RDKafkaAdmin.offsets(consumer, topic, partitions: count, brokers: kafka.brokers) {
                    let lag = max(0, entry.end - (entry.committed ?? entry.start))
                    entries.append(LagEntry(scope: "\(topic)/\(entry.partition)", lag: Int(lag)))
                }
            }
            return entries
        }
    }

    /// Requesters share one reply topic, `ferry.replies`, of `replyPartitions` partitions; each
    /// reads one partition (picked at random), from its end, outside any group's rebalancing,
    /// and passes over replies addressed to another requester on it. A durable route is a
    /// consumer group of its own over the whole topic, with committed offsets: replies that
    /// came while it was down are read when it is back.
    public func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute {
        let cluster = try KafkaEndpoint(endpoint)
        let producer = try producer(for: cluster)
        // As many partitions as the topic has, if it was made before with fewer.
        let partitions = try await admin.run {
            try RDKafkaAdmin.createTopic(producer.client, Self.replyTopic, partitions: Self.replyPartitions, brokers: cluster.brokers)
            return try RDKafkaAdmin.existingPartitionCount(producer.client, Self.replyTopic, brokers: cluster.brokers)
        }
        let count = UInt32(max(1, min(partitions, Self.replyPartitions)))
        // A durable route keeps its address across restarts (replies on their way name it):
        // its partition comes from its id (FNV-1a), not at random.
        let partition = Int32(
            durable ? id.utf8.reduce(2_166_136_261 as UInt32) { ($0 ^ UInt32($1)) &* 16_777_619 } % count : .random(in: 0..<count))
        if durable {
            let address = ReplyAddress.make(id, durable: true, part: "\(partition).")
            let replies = try replyEndpoint(for: address, near: endpoint).with(query: ["partition": nil])
            let subscription = try await subscribe(to: replies, options: SubscribeOptions(group: "ferry.\(id)"))
            return ReplyRoute(address: address, subscription: subscription) { await subscription.close() }
        }
        let address = ReplyAddress.make(id, durable: false, part: "\(partition).")
        // Read from the end each time: no offsets are committed, no group is left behind.
        let replies = try replyEndpoint(for: address, near: endpoint).with(query: ["rdkafka.enable.auto.commit": "false"])
        let kafka = try KafkaEndpoint(replies)
        let options = SubscribeOptions(group: "ferry.requester.\(id)")
        let source = try KafkaSource(endpoint: kafka, options: options, producer: producer, logger: logger, joinsGroup: false)
        try await source.readAlone(TopicPartition(topic: Self.replyTopic, partition: partition))
        let subscription = Subscription(endpoint: replies, options: options, source: source, transport: self, logger: logger)
        return ReplyRoute(address: address, subscription: subscription) { await subscription.close() }
    }

    /// `ferry.reply.<partition>.<requester>` → the reply topic's partition on the same cluster.
    public func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint {
        let rest = address.dropFirst(ReplyAddress.prefix.count)
        guard address.hasPrefix(ReplyAddress.prefix), let partition = rest.split(separator: ".").first.flatMap({ Int($0) }),
            (0..<Self.replyPartitions).contains(partition)
        else {
            throw FerryError(.invalidEvent, "reply address '\(address)' names no partition of the Kafka reply topic")
        }
        return endpoint.with(path: Self.replyTopic, query: ["partition": String(partition), "dlq": nil])
    }

    static let replyTopic = "ferry.replies"
    static let replyPartitions = 8

    public func shutdown() async {
        let all = producers.withLock { producers in
            defer { producers.removeAll() }
            return Array(producers.values)
        }
        for producer in all { await producer.close() }
    }

    private func producer(for endpoint: KafkaEndpoint) throws(FerryError) -> RDKafkaProducer {
        let key =
            endpoint.brokers + "|"
            + endpoint.producerSettings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        let result = producers.withLock { producers -> Result<RDKafkaProducer, FerryError> in
            if let existing = producers[key] { return .success(existing) }
            if producers.isEmpty { logRuntime() }
            return Result { () throws(FerryError) in
                let producer = try RDKafkaProducer(
                    settings: endpoint.producerSettings, context: RDKafkaContext(logger: logger, brokers: endpoint.brokers))
                producers[key] = producer
                return producer
            }
        }
        return try result.get()
    }

    /// Logged once, when the first client is made (not for programs that never use Kafka).
    private func logRuntime() {
        if KafkaRuntime.isRecentEnough {
            logger.info("librdkafka \(KafkaRuntime.version)")
        } else {
            logger.warning(
                "librdkafka \(KafkaRuntime.version) is older than 2.1 and cannot talk to some brokers (Tansu); put a newer librdkafka.so.1 first on LD_LIBRARY_PATH (see scripts/env.sh)"
            )
        }
    }
}

extension KafkaTransport: Browsable {
    /// Reads each partition from the group's committed offset (or the first one) to the end
    /// offset it had when browsing began, with partitions assigned, not subscribed: no group is
    /// joined and nothing is committed or created.
    package func browse(
        _ endpoint: Endpoint, group: String, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try producer(for: kafka)
        let count = try await admin.run { () throws(FerryError) in
            try RDKafkaAdmin.existingPartitionCount(producer.client, kafka.topic, brokers: kafka.brokers)
        }
        var settings = kafka.settings
        settings.merge(["group.id": group, "enable.auto.commit": "false", "enable.partition.eof": "true"]) { $1 }
        let consumer = try RDKafkaConsumer(
            settings: settings, brokers: kafka.brokers, logger: logger, onAssign: { _ in }, onRevoke: { _ in [] })
        do {
            try await browse(consumer, kafka, partitions: count, source: endpoint.description, limits: limits, body)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    package func history(
        _ endpoint: Endpoint, from start: SubscribeOptions.Start, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let kafka = try KafkaEndpoint(endpoint)
        let producer = try producer(for: kafka)
        let count = try await admin.run { () throws(FerryError) in
            try RDKafkaAdmin.existingPartitionCount(producer.client, kafka.topic, brokers: kafka.brokers)
        }
        let consumer = try probe(kafka)
        do {
            let ranges = try await consumer.blocking.run { () throws(FerryError) in
                try Self.window(from: start, consumer, kafka.topic, partitions: count)
            }
            try await browse(consumer, kafka, ranges: ranges, source: endpoint.description, limits: limits, body)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    /// Where `start` begins in each of the topic's partitions.
    private func startOffsets(_ start: SubscribeOptions.Start, _ kafka: KafkaEndpoint, partitions count: Int) async throws -> [Int32: Int64]
    {
        let consumer = try probe(kafka)
        let window = await consumer.blocking.run { () -> Result<[(Int32, Int64, Int64)], FerryError> in
            Result { () throws(FerryError) in try Self.window(from: start, consumer, kafka.topic, partitions: count) }
        }
        await consumer.close()
        return Dictionary(uniqueKeysWithValues: try window.get().map { ($0.0, $0.1) })
    }

    /// Per partition: where `start` begins and where the partition ends now. Blocking: call on
    /// the consumer's executor.
    private static func window(
        from start: SubscribeOptions.Start, _ consumer: RDKafkaConsumer, _ topic: String, partitions count: Int
    ) throws(FerryError) -> [(Int32, Int64, Int64)] {
        let offsets = try consumer.offsets(topic, partitions: count, committed: false)
        let starts = try KafkaStartOffsets.resolve(start, consumer, topic: topic, ranges: offsets.map { ($0.partition, $0.start, $0.end) })
        return offsets.map { ($0.partition, starts[$0.partition] ?? $0.end, $0.end) }
    }

    /// A consumer that only reads what it is assigned: it joins no group and commits nothing.
    private func probe(_ kafka: KafkaEndpoint) throws(FerryError) -> RDKafkaConsumer {
        var settings = kafka.settings
        settings.merge(["group.id": "ferry-probe", "enable.auto.commit": "false", "enable.partition.eof": "true"]) { $1 }
        return try RDKafkaConsumer(settings: settings, brokers: kafka.brokers, logger: logger, onAssign: { _ in }, onRevoke: { _ in [] })
    }

    private func browse(
        _ consumer: RDKafkaConsumer, _ kafka: KafkaEndpoint, partitions count: Int, source: String, limits: MessageLimits,
        _ body: (Browsed) async throws -> Bool
    ) async throws {
        let ranges = try await consumer.blocking.run { () throws(FerryError) in
            try consumer.offsets(kafka.topic, partitions: count).map { ($0.partition, $0.committed ?? $0.start, $0.end) }
        }
        try await browse(consumer, kafka, ranges: ranges, source: source, limits: limits, body)
    }

    /// Reads each partition from its first offset up to (not including) its end.
    private func browse(
        _ consumer: RDKafkaConsumer, _ kafka: KafkaEndpoint, ranges: [(Int32, Int64, Int64)], source: String, limits: MessageLimits,
        _ body: (Browsed) async throws -> Bool
    ) async throws {
        let open = ranges.filter { $0.1 < $0.2 }
        await consumer.blocking.run { consumer.assign(open.map { (TopicPartition(topic: kafka.topic, partition: $0.0), $0.1) }) }
        var ends = Dictionary(uniqueKeysWithValues: open.map { ($0.0, $0.2) })
        var lastRecord = ContinuousClock.now
        while !ends.isEmpty {
            let batch = await consumer.blocking.run { consumer.poll(max: 100, timeout: 500) }
            // A batch of partition-end events only is empty too: the read ends after 2 s without a record.
            guard !batch.isEmpty || ContinuousClock.now - lastRecord < .seconds(2) else { break }
            if !batch.isEmpty { lastRecord = .now }
            for message in batch {
                guard let end = ends[message.partition], message.offset < end else { continue }
                if message.offset + 1 >= end { ends.removeValue(forKey: message.partition) }
                let position = Position(destination: message.topic, partition: Int(message.partition), offset: String(message.offset))
                let envelope = KafkaWireFormat.decode(message.record, position: position, source: source, limits: limits)
                guard try await body(Browsed(position: position, envelope: envelope)) else { return }
            }
        }
    }
}
