/// A consumer group on one in-memory topic: its members and a cursor per partition.
struct MemoryGroup: Sendable {
    struct Retry: Sendable {
        var partition: Int
        var offset: Int
        var due: ContinuousClock.Instant
    }

    /// Member ids in join order; partition p belongs to members[p % members.count].
    var members: [Int] = []
    var cursors: [MemoryCursor]
    var retries: [Retry] = []
    var inflightCount: [Int: Int] = [:]

    /// `starts`: the first offset of each partition the group reads.
    init(starts: [Int]) {
        cursors = starts.map { MemoryCursor(start: $0) }
    }

    func owns(_ partition: Int, _ member: Int) -> Bool {
        !members.isEmpty && members[partition % members.count] == member
    }

    mutating func leave(_ member: Int) {
        members.removeAll { $0 == member }
        for p in cursors.indices { _ = cursors[p].release(member: member) }
        inflightCount.removeValue(forKey: member)
    }

    /// Settles an offset for good, whoever holds it; false when it was already settled.
    mutating func settle(partition: Int, offset: Int) -> Bool {
        if let holder = cursors[partition].inflight[offset] { inflightCount[holder, default: 1] -= 1 }
        retries.removeAll { $0.partition == partition && $0.offset == offset }
        return cursors[partition].settle(offset)
    }

    /// Hands `offset` out again at `due`, as delivery number `attempt`.
    mutating func scheduleRetry(partition: Int, offset: Int, due: ContinuousClock.Instant, attempt: Int, firstFailure: Int64) {
        cursors[partition].deliveries[offset] = attempt - 1
        if let holder = cursors[partition].inflight.removeValue(forKey: offset) { inflightCount[holder, default: 1] -= 1 }
        if cursors[partition].firstFailure[offset] == nil { cursors[partition].firstFailure[offset] = firstFailure }
        retries.append(Retry(partition: partition, offset: offset, due: due))
    }
}
