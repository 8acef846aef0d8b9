import Foundation

/// How a `Consumer` or a relay route is doing, for health checks: whether deliveries can be
/// settled, since when they cannot, the last failure, and the source's lag.
public struct PipelineHealth: Sendable, Hashable {
    /// When a delivery was last settled (handled, skipped as a duplicate, retried, dead-lettered).
    public var lastSettled: Date?
    /// Since when deliveries cannot be settled (the idempotency store, the broker or a sink
    /// fails); nil while they can. They are handed back to the source meanwhile, never lost.
    public var failingSince: Date?
    /// The last failure to settle, as its error says it (errors never hold secrets).
    public var lastError: String?
    /// The source's lag when last measured (every 10 s).
    public var lag: Int?
    /// When the consumer or route started: until its first settle, idle time counts from here
    /// (a route that has just started on a backlog is not stalled).
    public var started: Date

    public init(started: Date = Date()) { self.started = started }

    public var isFailing: Bool { failingSince != nil }

    /// Events waiting (`lag` above 0) while nothing was settled for `window`.
    public func isStalled(now: Date = Date(), window: Duration = .seconds(60)) -> Bool {
        guard let lag, lag > 0 else { return false }
        let idle = now.timeIntervalSince(lastSettled ?? started)
        return idle > Double(window.components.seconds)
    }
}
