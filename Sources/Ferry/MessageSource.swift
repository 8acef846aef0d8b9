/// A transport's consumer as the core sees it. `Subscription` wraps one.
public protocol MessageSource: Sendable {
    /// The next message; nil once the source is closed. Waits without blocking a thread.
    func next() async throws -> Inbound?
    /// A message already fetched, without waiting or touching the broker; nil when none is.
    /// Lets a caller take a whole batch at once (the relay).
    func nextIfReady() -> Inbound?
    /// Stops fetching; messages handed out and not settled go back to the group.
    func close() async
}

extension MessageSource {
    public func nextIfReady() -> Inbound? { nil }
}
