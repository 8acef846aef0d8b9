/// A transport's consumer as the core sees it. `Subscription` wraps one.
public protocol MessageSource: Sendable {
    /// The next message; nil once the source is closed. Waits without blocking a thread.
    func next() async throws -> Inbound?
    /// Stops fetching; messages handed out and not settled go back to the group.
    func close() async
}
