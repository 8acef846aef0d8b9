/// One group's progress through one partition: what is handed out, settled, and due again.
struct MemoryCursor: Sendable {
    /// The first offset never handed out.
    var next = 0
    /// Every offset below this one is settled: the group's committed position.
    var committed = 0
    /// Settled offsets at or above `committed`.
    var settled: Set<Int> = []
    /// Offset → the member holding it.
    var inflight: [Int: Int] = [:]
    /// Offsets to hand out again now (their holder left), ascending.
    var ready: [Int] = []
    /// Offset → how often it was handed out: the attempt number.
    var deliveries: [Int: Int] = [:]
    /// Offset → when it first failed, for the dead-letter record.
    var firstFailure: [Int: Int64] = [:]

    init(start: Int) {
        next = start
        committed = start
    }

    mutating func handOut(_ offset: Int, to member: Int) -> Int {
        inflight[offset] = member
        deliveries[offset, default: 0] += 1
        return deliveries[offset]!
    }

    /// Marks `offset` done for good; returns whether it was not already.
    mutating func settle(_ offset: Int) -> Bool {
        guard offset >= committed, !settled.contains(offset) else { return false }
        inflight.removeValue(forKey: offset)
        ready.removeAll { $0 == offset }
        settled.insert(offset)
        while settled.remove(committed) != nil {
            deliveries.removeValue(forKey: committed)
            firstFailure.removeValue(forKey: committed)
            committed += 1
        }
        return true
    }

    /// Gives back everything `member` holds, to be handed out again in offset order.
    mutating func release(member: Int) -> Int {
        let returned = inflight.filter { $0.value == member }.map(\.key)
        for offset in returned { inflight.removeValue(forKey: offset) }
        ready = (ready + returned).sorted()
        return returned.count
    }
}
