import Synchronization

/// A state machine behind a lock, shareable by reference (a `Mutex` alone cannot be captured
/// by the C callbacks and tasks that need it).
public final class Locked<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    public init(_ state: State) { mutex = Mutex(state) }

    public func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&$0) }
    }
}
