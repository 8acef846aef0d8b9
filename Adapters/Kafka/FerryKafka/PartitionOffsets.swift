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

    mutating func handOut(_ offset: Int64) {
        outstanding.insert(offset)
        next = max(next ?? 0, offset + 1)
    }

    /// Settles `offset`; returns the new offset to commit when it moved forward.
    mutating func settle(_ offset: Int64) -> Int64? {
        guard outstanding.remove(offset) != nil else { return nil }
        return advance()
    }

    /// The offset it is safe to commit: the lowest unsettled one, else one past the highest seen.
    var safe: Int64? { outstanding.min() ?? next }

    private mutating func advance() -> Int64? {
        guard let safe, safe > (stored ?? -1) else { return nil }
        stored = safe
        return safe
    }
}
