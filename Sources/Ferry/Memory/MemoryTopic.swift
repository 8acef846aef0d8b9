/// An in-memory topic: partitioned logs, its groups, and the members waiting for news.
struct MemoryTopic: Sendable {
    var partitions: [[MemoryRecord]]
    var roundRobin = 0
    var groups: [String: MemoryGroup] = [:]
    /// Bumped by every change a waiting member could care about.
    var generation = 0
    var waiters: [Int: CheckedContinuation<Void, Never>] = [:]

    init(partitions: Int) {
        self.partitions = Array(repeating: [], count: partitions)
    }

    /// The partition for a key: a stable hash (FNV-1a), so one key always lands in one place.
    func partition(for key: String?) -> Int? {
        guard let key else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(partitions.count))
    }

    /// The offset of `partition` where `start` begins.
    func offset(of partition: Int, at start: SubscribeOptions.Start) throws(FerryError) -> Int {
        let records = partitions[partition]
        switch start {
        case .earliest: return 0
        case .latest: return records.count
        case .time(let time):
            let micros = Event.micros(of: time)
            return records.firstIndex { $0.timeMicros >= micros } ?? records.count
        case .offset(let text):
            guard let offset = Int(text), offset >= 0 else {
                throw FerryError(.invalidConfiguration, "start offset '\(text)' is not an in-memory offset (a number from 0)")
            }
            return min(offset, records.count)
        }
    }

    /// Records a change and returns the waiters to resume (outside the lock).
    mutating func bump() -> [CheckedContinuation<Void, Never>] {
        generation += 1
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }
}
