/// How a message carried its CloudEvents attributes on the wire.
public enum EnvelopeMode: String, Sendable, Hashable {
    /// Attributes in transport headers, data as the body: what Ferry publishes.
    case binary
    /// The whole event as an `application/cloudevents+json` body, as Dapr publishes.
    case structured
    /// No CloudEvents attributes at all: Ferry wrapped the message with generated ones.
    case plain
}
