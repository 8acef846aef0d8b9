/// Which offsets of one assigned partition are handed out and not yet settled, so that the
/// offset committed never passes a message that has not been acked, retried elsewhere or
/// dead-lettered.
struct PartitionOffsets: Sendable {
    /// Handed out, not yet settled.
    private(set) var outstanding: Set<Int64> = []
    /// One past the highest offset handed out.
    private(set) var next: Int64?
    /// The last offset given to librdkafka to commit.
    private(set) var stored: Int64?
    /// No outstanding offset lies below it: offsets are handed out in order, so the lowest
    /// unsettled one is found by walking up from here, not by scanning the set on every ack.
    private var floor: Int64?

    mutating func handOut(_ offset: Int64) {
        outstanding.insert(offset)
        next = max(next ?? 0, offset + 1)
        floor = min(floor ?? offset, offset)
    }

    /// Settles `offset`; returns the new offset to commit when it moved forward.
    mutating func settle(_ offset: Int64) -> Int64? {
        guard outstanding.remove(offset) != nil else { return nil }
        guard let safe = safe(), safe > (stored ?? -1) else { return nil }
        stored = safe
        return safe
    }

    /// The offset it is safe to commit: the lowest unsettled one, else one past the highest seen.
    mutating func safe() -> Int64? {
        guard !outstanding.isEmpty, var lowest = floor else { return next }
        while !outstanding.contains(lowest) { lowest += 1 }
        floor = lowest
        return lowest
    }
}
