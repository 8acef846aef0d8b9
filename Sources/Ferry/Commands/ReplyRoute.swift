/// One requester's private reply destination on a broker, as its transport opened it
/// (`Transport.openReplies`): the address commands carry in `replyto`, and the subscription
/// the requester reads its replies from.
public struct ReplyRoute: Sendable {
    /// A name on the broker (a queue, a stream, a topic and partition), never a URL: a message
    /// must not carry credentials. The responder's transport makes it an endpoint again.
    public var address: String
    public var subscription: Subscription
    /// Closes the subscription and removes the destination when the broker does not on its own.
    public var close: @Sendable () async -> Void

    public init(address: String, subscription: Subscription, close: @escaping @Sendable () async -> Void) {
        self.address = address
        self.subscription = subscription
        self.close = close
    }
}
