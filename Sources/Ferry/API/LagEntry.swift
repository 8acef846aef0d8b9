/// How far a consumer group is behind on one partition, queue or stream.
public struct LagEntry: Sendable, Hashable {
    /// The partition, queue or stream, e.g. `orders/2` or `orders`.
    public var scope: String
    /// Messages not yet handed out plus those handed out and not yet acknowledged.
    public var lag: Int
    /// Of `lag`, those handed out and not yet acknowledged, where the broker knows.
    public var pending: Int?

    public init(scope: String, lag: Int, pending: Int? = nil) {
        self.scope = scope
        self.lag = lag
        self.pending = pending
    }
}
