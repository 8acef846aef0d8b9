/// What a `Consumer` did with one delivery.
public enum ConsumerOutcome: Sendable, Hashable {
    /// The handler succeeded and the delivery was acked.
    case handled
    /// The event had been handled already: acked without calling the handler.
    case duplicate
    /// Another handler holds the event's key: it comes back after `delay`.
    case deferred(Duration)
    /// The handler failed; the event comes back after `delay` with the next attempt number.
    case retried(Duration)
    case deadLettered(DeadLetterReason)
}
