/// What the core asks an adapter to do with a message on its broker. The core has decided
/// between ack, retry and dead letter and written every header; the adapter carries it out.
package enum BrokerSettlement: Sendable {
    /// Done: the broker may forget the message.
    case ack
    /// Hand the message out again once `delay` has passed, without holding up the messages
    /// behind it; then settle this copy.
    case retry(Redelivery)
    /// Copy the message as it arrived, plus `headers`, to the dead-letter destination; then
    /// settle it. The copy comes first: a crash in between duplicates, never loses.
    case deadLetter(headers: [String: String])
}

/// A delayed retry as the core asks for it.
package struct Redelivery: Sendable {
    package var delay: Duration
    /// The attempt number the next delivery must carry. Brokers that count deliveries
    /// themselves (Redis, memory) set their counter to it: a postponed event was not tried.
    package var nextAttempt: Int
    /// When the message first failed, for brokers that keep the message where it is (and so
    /// cannot carry it in a header).
    package var firstFailureMicros: Int64
    /// Ferry's retry headers, for a republished copy (`RetryHeaders`).
    package var headers: [String: String]
}
