import Foundation

/// Exponential backoff for reconnecting: doubles from `initial` up to `maximum`, and starts
/// over after a success.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    public private(set) var next: Duration

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        next = initial
    }

    public mutating func reset() { next = initial }

    /// Sleeps the current thread (a connection's own thread, never the cooperative pool).
    public mutating func sleepOnThisThread() {
        Thread.sleep(forTimeInterval: Double(next.microseconds) / 1e6)
        next = min(next * 2, maximum)
    }
}
