/// What a consumer decided about a delivery; the transport carries it out on its broker.
public enum Settlement: Sendable, Hashable {
    /// Done: the broker may forget the message.
    case ack
    /// Deliver it again after `delay`, with the attempt count raised, without holding up the
    /// messages behind it longer than needed.
    case retry(after: Duration, reason: String)
    /// Move it, untouched, to the dead-letter destination with `DeadLetterRecord` headers.
    case deadLetter(DeadLetterReason)
}
