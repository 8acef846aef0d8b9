/// A saga step whose outcome is an event another service publishes (`OrderShipped`,
/// `ShipmentRefused`), not a reply: the saga reads `events` in a group of its own, and an event
/// of a `done` or `failed` type whose `key` names an instance waiting on the step moves it on.
///
/// An event that comes before its instance has saved the turn that sent the step's command
/// (a fast service) is held back and taken then (for the first step, for up to ten seconds
/// after the event's `time`: before that, the instance is not in the store at all).
public struct SagaAwait: Sendable {
    public var events: Endpoint
    public var done: Set<String>
    public var failed: Set<String>
    /// The instance an event is about (its correlation key); nil: none.
    public var key: @Sendable (Event) -> String?

    /// `key`: by default the event's partition key (an order's events are keyed by the order).
    public init(
        _ events: Endpoint, done: Set<String>, failed: Set<String> = [],
        key: @escaping @Sendable (Event) -> String? = { $0.partitionkey }
    ) {
        self.events = events
        self.done = done
        self.failed = failed
        self.key = key
    }
}
