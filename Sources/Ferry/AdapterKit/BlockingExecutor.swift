import Dispatch

/// A dedicated serial thread for the blocking calls of a C client (a poll with a timeout, a
/// flush, a synchronous commit), so they never occupy Swift's cooperative thread pool. Calls
/// run one at a time, in order, which also serialises access to a non-thread-safe C handle.
package final class BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the thread (after `delay`) without waiting for it.
    package func execute(after delay: Duration = .zero, _ body: @escaping @Sendable () -> Void) {
        if delay <= .zero {
            queue.async(execute: body)
        } else {
            queue.asyncAfter(deadline: .now() + .microseconds(Int(delay.microseconds)), execute: body)
        }
    }

    /// Runs `body` on the thread every `interval` until it returns false (a C client's
    /// keep-alive between the calls it makes itself).
    package func repeating(every interval: Duration, _ body: @escaping @Sendable () -> Bool) {
        execute(after: interval) { [self] in
            if body() { repeating(every: interval, body) }
        }
    }

    package func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
