/// Who gets which connection of a `PostgresPool`: an idle one first, else a new one while
/// fewer than `maximum` are open, else the caller waits its turn. Lock-protected by the pool;
/// its decisions are unit-tested without a database.
package struct PostgresPoolState<Connection, Waiter> {
    package let maximum: Int
    /// Connections open or being opened, idle ones included.
    package private(set) var open = 0
    package private(set) var idle: [Connection] = []
    private var waiters: [(id: UInt64, waiter: Waiter)] = []

    package init(maximum: Int) { self.maximum = max(1, maximum) }

    package enum Lease {
        case reuse(Connection)
        /// A slot is the caller's: it opens a connection (and gives the slot back if it cannot).
        case connect
        case wait
    }

    package mutating func lease(_ id: UInt64, _ waiter: Waiter) -> Lease {
        if let connection = idle.popLast() { return .reuse(connection) }
        if open < maximum {
            open += 1
            return .connect
        }
        waiters.append((id, waiter))
        return .wait
    }

    package enum Handover {
        case none
        case give(Connection, to: Waiter)
        /// The slot of a connection that is gone goes to a waiter, who opens one.
        case connect(for: Waiter)
    }

    /// A connection back from a caller, or nil when it is gone (closed, failed, never opened).
    package mutating func release(_ connection: Connection?) -> Handover {
        let first = waiters.isEmpty ? nil : waiters.removeFirst().waiter
        switch (connection, first) {
        case (let connection?, let waiter?): return .give(connection, to: waiter)
        case (let connection?, nil): idle.append(connection)
        case (nil, let waiter?): return .connect(for: waiter)
        case (nil, nil): open -= 1
        }
        return .none
    }

    /// A waiter whose task was cancelled, if it still waits.
    package mutating func cancel(_ id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// The idle connections, to close: the pool is going away.
    package mutating func takeIdle() -> [Connection] {
        defer {
            open -= idle.count
            idle = []
        }
        return idle
    }
}

extension PostgresPoolState: Sendable where Connection: Sendable, Waiter: Sendable {}
