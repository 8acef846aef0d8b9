/// What one outbox reader holds: rows fetched and not handed out, rows handed out and not yet
/// settled (never fetched twice), and acks not yet written. Lock-protected by `OutboxSource`;
/// its decisions are unit-tested without a database.
package struct OutboxReaderState: Sendable {
    /// A row handed out, and which fetch it came with: a late settlement of an earlier copy of
    /// the row (handed back after a failed retry) must not release the copy in hand.
    package typealias Handout = (row: OutboxRow, fetch: UInt64)

    private var buffer = FetchBuffer<Handout>()
    /// Handed out (or acked and not deleted yet), by the fetch that brought them: the next
    /// fetch passes them over.
    private var held: [Int64: UInt64] = [:]
    private var fetches: UInt64 = 0
    private var acked: [Int64] = []
    private(set) var stopped = false

    package init() {}

    package enum Next: Equatable {
        case row(Int64)
        /// Fetch, after writing `acks` (and passing over `held`).
        case fetch(acks: [Int64], held: [Int64])
        case stopped
    }

    /// What the reader does next; a row taken is held until settled.
    package mutating func next() -> (Next, Handout?) {
        if stopped { return (.stopped, nil) }
        if let handout = buffer.popFirst() { return (.row(handout.row.id), handout) }
        let acks = acked
        acked = []
        return (.fetch(acks: acks, held: held.keys.sorted()), nil)
    }

    /// A row already fetched, if there is one.
    package mutating func nextIfReady() -> Handout? {
        stopped ? nil : buffer.popFirst()
    }

    /// Rows fetched: each is held from now on.
    package mutating func fetched(_ rows: [OutboxRow]) {
        fetches += 1
        var fresh: [Handout] = []
        for row in rows where held[row.id] == nil {
            held[row.id] = fetches
            fresh.append((row, fetches))
        }
        buffer.append(contentsOf: fresh)
    }

    /// Acked: written with the next batch of acks (the row stays held until then).
    package mutating func ack(_ id: Int64) { acked.append(id) }

    /// The acks to write now (the periodic flush), none left pending.
    package mutating func takeAcks() -> [Int64] {
        defer { acked = [] }
        return acked
    }

    /// Rows deleted: no longer held. Acks that could not be written come back with `failed`,
    /// to be written later.
    package mutating func settled(_ ids: [Int64], failed: Bool = false) {
        if failed {
            acked += ids
        } else {
            for id in ids { held[id] = nil }
        }
    }

    /// A handout retried, dead-lettered or handed back (its settlement failed): the row is no
    /// longer held, unless a later fetch holds it now.
    package mutating func released(_ handout: Handout) {
        if held[handout.row.id] == handout.fetch { held[handout.row.id] = nil }
    }

    /// Rows fetched and not handed out are dropped (they stay in the table).
    package mutating func stop() -> [Int64] {
        stopped = true
        var dropped: [Int64] = []
        while let handout = buffer.popFirst() {
            dropped.append(handout.row.id)
            held[handout.row.id] = nil
        }
        return dropped
    }
}
