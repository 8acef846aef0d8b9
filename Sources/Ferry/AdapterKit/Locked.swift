import Synchronization

/// A state machine behind a lock, shareable by reference (a `Mutex` alone cannot be captured
/// by the C callbacks and tasks that need it).
package final class Locked<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    package init(_ state: State) { mutex = Mutex(state) }

    package func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&$0) }
    }
}
