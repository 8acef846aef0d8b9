/// What one outbox reader holds: rows fetched and not handed out, rows handed out and not yet
/// settled (never fetched twice), and acks not yet written. Lock-protected by `OutboxSource`;
/// its decisions are unit-tested without a database.
package struct OutboxReaderState: Sendable {
    private var buffer = FetchBuffer<OutboxRow>()
    /// Handed out (or acked and not deleted yet): the next fetch passes them over.
    private(set) var held: Set<Int64> = []
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
    package mutating func next() -> (Next, OutboxRow?) {
        if stopped { return (.stopped, nil) }
        if let row = buffer.popFirst() { return (.row(row.id), row) }
        let acks = acked
        acked = []
        return (.fetch(acks: acks, held: held.sorted()), nil)
    }

    /// A row already fetched, if there is one.
    package mutating func nextIfReady() -> OutboxRow? {
        stopped ? nil : buffer.popFirst()
    }

    /// Rows fetched: each is held from now on.
    package mutating func fetched(_ rows: [OutboxRow]) {
        let fresh = rows.filter { held.insert($0.id).inserted }
        buffer.append(contentsOf: fresh)
    }

    /// Acked: written with the next batch of acks (the row stays held until then).
    package mutating func ack(_ id: Int64) { acked.append(id) }

    /// The acks to write now (the periodic flush), none left pending.
    package mutating func takeAcks() -> [Int64] {
        defer { acked = [] }
        return acked
    }

    /// Rows deleted, retried or dead-lettered: no longer held. Acks that could not be written
    /// come back with `failed`, to be written later.
    package mutating func settled(_ ids: [Int64], failed: Bool = false) {
        if failed {
            acked += ids
        } else {
            for id in ids { held.remove(id) }
        }
    }

    /// Rows fetched and not handed out are dropped (they stay in the table).
    package mutating func stop() -> [Int64] {
        stopped = true
        var dropped: [Int64] = []
        while let row = buffer.popFirst() {
            dropped.append(row.id)
            held.remove(row.id)
        }
        return dropped
    }
}
