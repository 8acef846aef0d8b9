import Logging

/// A connection of a blocking C client that is not thread-safe.
package protocol BrokerConnection: AnyObject {
    var isOpen: Bool { get }
    func close()
}

/// How every adapter keeps a connection: opened on first use, dropped when an operation on it
/// fails, opened again on the next use, with backoff between failed attempts (also after a
/// reply that says "not now"). The first failure is logged once and the recovery once, not
/// every attempt. Use it on one thread (an executor's).
package struct Reconnecting<Connection: BrokerConnection> {
    private var connection: Connection?
    private var backoff = Backoff()
    private var lost = false
    /// Counts the connections opened: what was read on an earlier one cannot be acked on this one.
    package private(set) var generation = 0
    private let open: () throws(FerryError) -> Connection
    private let what: String
    private let logger: Logger

    /// `open` connects and sets the connection up (topology, consumer); `what` names it in logs.
    package init(_ what: String, logger: Logger, open: @escaping () throws(FerryError) -> Connection) {
        self.what = what
        self.logger = logger
        self.open = open
    }

    /// Runs `body` on the connection, opening one first when needed. A failure drops the
    /// connection, so that the next call opens a new one, and is thrown on.
    package mutating func run<T>(_ body: (Connection) throws(FerryError) -> T) throws(FerryError) -> T {
        do {
            let live: Connection
            if let connection, connection.isOpen {
                live = connection
            } else {
                live = try open()
                connection = live
                generation += 1
            }
            let result = try body(live)
            if lost {
                lost = false
                backoff.reset()
                logger.notice("\(what): working again")
            }
            return result
        } catch {
            drop()
            throw error
        }
    }

    /// Runs `body`, and once more on a new connection when the first one turns out lost (the
    /// server restarted since the last call): for calls that must not wait for a backoff.
    package mutating func runRetryingOnce<T>(_ body: (Connection) throws(FerryError) -> T) throws(FerryError) -> T {
        do {
            return try run(body)
        } catch  where error.isRetriable {
            return try run(body)
        }
    }

    /// Waits before the next attempt after `error`, longer each time; the first failure in a
    /// row is logged.
    package mutating func backOff(after error: FerryError) {
        if !lost {
            lost = true
            logger.warning("\(what): failing; trying again with backoff", metadata: ["error": "\(error)"])
        }
        backoff.sleepOnThisThread()
    }

    /// Closes the connection, if one is open.
    package mutating func drop() {
        connection?.close()
        connection = nil
    }

    /// The open connection, if any, without connecting.
    package var current: Connection? { connection?.isOpen == true ? connection : nil }
}
