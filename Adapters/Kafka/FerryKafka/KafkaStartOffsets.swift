import CRDKafka
import Ferry

/// Where a start at a time or an offset begins in each partition of a topic, found with a
/// consumer that only assigns (it joins no group). Blocking: call on the consumer's executor.
enum KafkaStartOffsets {
    /// Per partition: the first offset `start` reads, between the partition's first and end
    /// offsets. `ranges`: each partition's first and end offsets.
    static func resolve(
        _ start: SubscribeOptions.Start, _ consumer: RDKafkaConsumer, topic: String, ranges: [(partition: Int32, first: Int64, end: Int64)]
    ) throws(FerryError) -> [Int32: Int64] {
        // Watermarks come from the broker: kept to 0 ≤ first ≤ end, so no arithmetic below overflows.
        let ranges = ranges.map { (partition: $0.partition, first: max(0, $0.first), end: max(max(0, $0.first), $0.end)) }
        var offsets: [Int32: Int64] = [:]
        switch start {
        case .earliest:
            for range in ranges { offsets[range.partition] = range.first }
        case .latest:
            for range in ranges { offsets[range.partition] = range.end }
        case .offset(let text):
            guard let offset = Int64(text), offset >= 0 else {
                throw FerryError(.invalidConfiguration, "start offset '\(text)' is not a Kafka offset (a number from 0)")
            }
            for range in ranges { offsets[range.partition] = min(max(offset, range.first), range.end) }
        case .time(let time):
            let micros = max(0, Event.micros(of: time))  // negative times are ListOffsets' special values
            let millis = micros / 1000 + (micros % 1000 > 0 ? 1 : 0)
            let answered = try consumer.offsets(topic, at: millis, partitions: ranges.map(\.partition))
            for range in ranges {
                let offset = min(max(answered[range.partition] ?? range.end, range.first), range.end)
                offsets[range.partition] =
                    isFirstAtOrAfter(millis, offset, consumer, topic, range)
                    ? offset : search(millis, consumer, topic, range)
            }
        }
        return offsets
    }

    /// Whether `offset` is the first record at or after `millis`: the record before it is older
    /// and the one at it is not. Brokers that ignore the time in ListOffsets (Tansu 0.6 answers
    /// the first offset for any time) fail this check.
    private static func isFirstAtOrAfter(
        _ millis: Int64, _ offset: Int64, _ consumer: RDKafkaConsumer, _ topic: String,
        _ range: (partition: Int32, first: Int64, end: Int64)
    ) -> Bool {
        // The record before may be a transaction marker: the first one read is then at `offset`.
        if offset > range.first, let before = consumer.timestamp(topic, range.partition, at: offset - 1), before.offset < offset,
            before.millis >= millis
        {
            return false
        }
        if offset < range.end, let at = consumer.timestamp(topic, range.partition, at: offset), at.millis < millis {
            return false
        }
        return true
    }

    /// The first offset whose record is at or after `millis`, by reading timestamps (a binary
    /// search: records are taken to be in time order, as Kafka's time index takes them).
    private static func search(
        _ millis: Int64, _ consumer: RDKafkaConsumer, _ topic: String, _ range: (partition: Int32, first: Int64, end: Int64)
    ) -> Int64 {
        var low = range.first
        var high = range.end
        while low < high {
            let middle = low + (high - low) / 2
            if let found = consumer.timestamp(topic, range.partition, at: middle), found.millis < millis {
                low = min(found.offset, high - 1) + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
