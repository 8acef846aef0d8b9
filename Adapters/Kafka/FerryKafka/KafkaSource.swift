import Ferry
import Foundation
import Logging
import Synchronization

/// A member of a Kafka consumer group, as the core's `MessageSource`.
///
/// Offsets are stored for commit only up to the first unsettled record of each partition,
/// handed to librdkafka in batches on the consumer's thread (it commits them every second).
/// A retry is republished to the group's retry topic with its due time and attempt count, and
/// the original is settled once the broker has the copy; the retry topic's records are held
/// back until due, so a retry never stalls the partition it came from.
final class KafkaSource: MessageSource {
    let consumer: RDKafkaConsumer
    private let state: Locked<KafkaConsumerState>
    private let producer: RDKafkaProducer
    private let endpoint: KafkaEndpoint
    private let retryTopic: String
    private let batchSize: Int
    private let limits: MessageLimits
    /// The endpoint as plain messages' source and dead-letter records name it (made once: it is
    /// needed for every message).
    private let sourceName: String

    /// `joinsGroup: false`: the source reads only what `readAlone` assigns it.
    init(
        endpoint: KafkaEndpoint, options: SubscribeOptions, producer: RDKafkaProducer, logger: Logger, joinsGroup: Bool = true,
        startOffsets: [TopicPartition: Int64] = [:]
    ) throws(FerryError) {
        let retryTopic = endpoint.retryTopic(group: options.group)
        let state = Locked(KafkaConsumerState(retryTopic: retryTopic))
        self.state = state
        self.endpoint = endpoint
        sourceName = endpoint.endpoint.description
        self.producer = producer
        self.retryTopic = retryTopic
        batchSize = options.prefetch
        limits = options.limits
        var settings = endpoint.settings
        settings["group.id"] = options.group
        settings["client.id"] = options.consumer
        // A group that starts at a time or an offset is given each topic partition's start
        // (`startOffsets`); its retry topic's partitions start at the beginning.
        settings["auto.offset.reset"] = options.start == .latest ? "latest" : "earliest"
        if let readAhead = options.readAhead, settings["queued.min.messages"] == nil {
            settings["queued.min.messages"] = String(readAhead)
        }
        consumer = try RDKafkaConsumer(
            settings: settings, brokers: endpoint.brokers, logger: logger, startOffsets: startOffsets,
            onAssign: { partitions in state.withLock { $0.assign(partitions) } },
            onRevoke: { partitions in state.withLock { $0.revoke(partitions) } })
        if joinsGroup { try consumer.subscribe([endpoint.topic, retryTopic]) }
    }

    /// Reads only `partition`, from its end as of now (not as of the first fetch, which could
    /// miss a record written meanwhile), without a group's rebalancing: a requester's replies.
    func readAlone(_ partition: TopicPartition) async throws {
        state.withLock { $0.assign([partition]) }
        let consumer = consumer
        let end = try await consumer.blocking.run { try consumer.end(of: partition) }
        await consumer.blocking.run { consumer.assign([(partition, end)]) }
    }

    func next() async throws -> Inbound? {
        while true {
            try Task.checkCancellation()
            switch state.withLock({ $0.next(now: Event.micros(of: Date())) }) {
            case .closed:
                return nil
            case .message(let message, let retryHeaders):
                return inbound(message, retryHeaders)
            case .poll(let dueIn):
                let timeout = Int32(min(100, max(0, (dueIn ?? 100_000) / 1000)))
                let (stores, pauses) = state.withLock { ($0.takeStores(), $0.takePauseChanges()) }
                let messages = await consumer.blocking.run { [consumer, batchSize] in
                    consumer.store(stores)
                    consumer.pause(pauses.pause, resume: pauses.resume)
                    return consumer.poll(max: batchSize, timeout: timeout)
                }
                state.withLock { $0.accept(messages) }
            }
        }
    }

    func nextIfReady() -> Inbound? {
        guard case .message(let message, let retryHeaders) = state.withLock({ $0.next(now: Event.micros(of: Date())) }) else { return nil }
        return inbound(message, retryHeaders)
    }

    func stop() { state.withLock { $0.close() } }

    func close() async {
        let stores = state.withLock { state in
            state.close()
            return state.takeStores()
        }
        consumer.store(stores)
        await consumer.close()
    }

    private func inbound(_ message: KafkaMessage, _ retryHeaders: [String: String]) -> Inbound {
        var stripped = message.record
        if stripped.headers.contains(where: { RetryHeaders.contains($0.name) }) {  // forged ones included
            stripped.headers.removeAll { RetryHeaders.contains($0.name) }  // (a copy: only when there is one)
        }
        let record = stripped
        let position = Position(destination: message.topic, partition: Int(message.partition), offset: String(message.offset))
        let carried = RetryHeaders.read(retryHeaders)
        let origin = carried.origin ?? position
        let envelope = KafkaWireFormat.decode(record, position: origin, source: sourceName, limits: limits)
        let eventID = (try? envelope.get().event.id) ?? origin.description
        return Inbound(
            envelope: envelope, attempt: carried.attempt ?? 1, position: position, origin: origin,
            firstFailureMicros: carried.firstFailureMicros
        ) { [self] settlement in
            switch settlement {
            case .ack:
                break
            case .retry(let redelivery):
                _ = try await producer.produce([(eventID, record.adding(redelivery.headers))], topic: retryTopic)[0].get()
            case .deadLetter(let headers):
                _ = try await producer.produce([(eventID, record.adding(headers))], topic: endpoint.deadLetterTopic)[0].get()
            }
            if state.withLock({ $0.settle(TopicPartition(topic: message.topic, partition: message.partition), message.offset) }) {
                // Offsets are committed every second: storing them a little later, together, is free.
                consumer.blocking.execute(after: .milliseconds(50)) { [state, consumer] in
                    consumer.store(state.withLock { $0.takeStores() })
                }
            }
        }
    }
}
