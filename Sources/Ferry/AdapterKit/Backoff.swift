import Foundation

/// Exponential backoff for reconnecting: doubles from `initial` up to `maximum`, and starts
/// over after a success.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var next: Duration

    init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        next = initial
    }

    mutating func reset() { next = initial }

    /// Sleeps the current thread (a connection's own thread, never the cooperative pool).
    mutating func sleepOnThisThread() {
        Thread.sleep(forTimeInterval: Double(next.microseconds) / 1e6)
        next = min(next * 2, maximum)
    }

    /// Suspends the current task (a loop that awaits its I/O), then doubles.
    mutating func sleep() async throws {
        try await Task.sleep(for: next)
        next = min(next * 2, maximum)
    }
}
