/// A transport's consumer as the core sees it: it fetches messages, and each `Inbound` knows how
/// to settle itself on the broker. `Subscription` wraps one.
package protocol MessageSource: Sendable {
    /// The next message; nil once the source is closed. Waits without blocking a thread.
    func next() async throws -> Inbound?
    /// A message already fetched, without waiting or touching the broker; nil when none is.
    /// Lets a caller take a whole batch at once (the relay).
    func nextIfReady() -> Inbound?
    /// Stops handing out messages: `next()` returns nil from now on, while those already handed
    /// out can still be settled (a graceful shutdown finishes the one in hand). `close()` follows.
    func stop()
    /// Stops fetching; messages handed out and not settled go back to the group.
    func close() async
}
