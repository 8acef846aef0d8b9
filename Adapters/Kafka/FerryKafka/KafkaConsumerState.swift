import Ferry

/// The consumer's shared state: assigned partitions with their unsettled offsets, fetched
/// records not yet handed out, and retries held until due. Changed under one lock; each
/// method returns what the caller must then do outside it.
///
/// Held retries are bounded: a retry partition holding `maxHeld` records not yet due is
/// paused (nothing more is fetched from it) until half of them went out.
struct KafkaConsumerState: Sendable {
    enum Next {
        case message(KafkaMessage, retryHeaders: [String: String])
        /// Nothing ready: poll the broker, for at most this many microseconds when a held retry falls due.
        case poll(dueInMicros: Int64?)
        case closed
    }

    /// The group's retry topic: the only one whose records' retry headers are Ferry's own.
    let retryTopic: String
    private var assigned: [TopicPartition: PartitionOffsets] = [:]
    private var fetched: [KafkaMessage] = []
    private var fetchedIndex = 0
    private var held: [(message: KafkaMessage, retryHeaders: [String: String], due: Int64)] = []
    let maxHeld: Int
    /// Retry partitions paused for holding `maxHeld` records, and pause changes not yet made.
    private var paused: Set<TopicPartition> = []
    private var heldCount: [TopicPartition: Int] = [:]
    private var pauseChanges: (pause: [TopicPartition], resume: [TopicPartition]) = ([], [])
    private(set) var closed = false
    /// Offsets that moved forward since librdkafka was last given them.
    private var toStore: [TopicPartition: Int64] = [:]

    init(retryTopic: String, maxHeld: Int = 10_000) {
        self.retryTopic = retryTopic
        self.maxHeld = max(1, maxHeld)
    }

    mutating func assign(_ partitions: [TopicPartition]) {
        for partition in partitions where assigned[partition] == nil { assigned[partition] = PartitionOffsets() }
    }

    /// Forgets revoked partitions (their unsettled records go to the next owner) and returns
    /// the offsets safe to commit for them.
    mutating func revoke(_ partitions: [TopicPartition]) -> [(TopicPartition, Int64)] {
        let gone = Set(partitions)
        let safe = partitions.compactMap { partition in assigned[partition]?.safe().map { (partition, $0) } }
        for partition in partitions { toStore.removeValue(forKey: partition) }
        for partition in partitions { assigned.removeValue(forKey: partition) }
        held.removeAll { gone.contains(TopicPartition(topic: $0.message.topic, partition: $0.message.partition)) }
        paused.subtract(gone)  // a partition assigned again starts unpaused
        for partition in partitions { heldCount.removeValue(forKey: partition) }
        pauseChanges.pause.removeAll { gone.contains($0) }
        pauseChanges.resume.removeAll { gone.contains($0) }
        return safe
    }

    mutating func accept(_ messages: [KafkaMessage]) {
        if fetchedIndex == fetched.count {
            fetched = messages
            fetchedIndex = 0
        } else {
            fetched += messages
        }
    }

    mutating func close() { closed = true }

    mutating func next(now: Int64) -> Next {
        guard !closed else { return .closed }
        if let index = held.indices.min(by: { held[$0].due < held[$1].due }), held[index].due <= now {
            let entry = held.remove(at: index)
            let partition = TopicPartition(topic: entry.message.topic, partition: entry.message.partition)
            heldCount[partition, default: 1] -= 1
            if paused.contains(partition), heldCount[partition, default: 0] <= maxHeld / 2 {
                paused.remove(partition)
                pauseChanges.resume.append(partition)
            }
            return .message(entry.message, retryHeaders: entry.retryHeaders)
        }
        while fetchedIndex < fetched.count {
            let message = fetched[fetchedIndex]
            fetchedIndex += 1
            let partition = TopicPartition(topic: message.topic, partition: message.partition)
            // Through the index: optional chaining through the subscript heap-allocates its
            // accessor's frames, twice per message.
            guard let index = assigned.index(forKey: partition) else { continue }  // revoked while buffered
            assigned.values[index].handOut(message.offset)
            var retryHeaders: [String: String] = [:]
            if message.topic == retryTopic {
                for header in message.record.headers where RetryHeaders.contains(header.name) {
                    retryHeaders[header.name] = header.text
                }
            }
            if let due = retryHeaders[RetryHeaders.due].flatMap({ Int64($0) }), due > now {
                held.append((message, retryHeaders, due))
                heldCount[partition, default: 0] += 1
                if !paused.contains(partition), heldCount[partition, default: 0] >= maxHeld {
                    paused.insert(partition)
                    pauseChanges.pause.append(partition)
                }
                continue
            }
            return .message(message, retryHeaders: retryHeaders)
        }
        return .poll(dueInMicros: held.map(\.due).min().map { $0 - now })
    }

    /// The partitions to pause and resume now (on the consumer's thread, before the next poll).
    mutating func takePauseChanges() -> (pause: [TopicPartition], resume: [TopicPartition]) {
        defer { pauseChanges = ([], []) }
        return pauseChanges
    }

    /// Settles one offset; the partition's commit offset moves forward when it can. True when
    /// offsets now wait to be stored and none did before: the caller schedules `takeStores`.
    mutating func settle(_ partition: TopicPartition, _ offset: Int64) -> Bool {
        guard let index = assigned.index(forKey: partition), let safe = assigned.values[index].settle(offset) else { return false }
        let first = toStore.isEmpty
        toStore[partition] = safe
        return first
    }

    /// The offsets to hand librdkafka: one call per batch of acks instead of one per ack.
    mutating func takeStores() -> [(TopicPartition, Int64)] {
        defer { toStore.removeAll(keepingCapacity: true) }
        return toStore.map { ($0.key, $0.value) }
    }
}
