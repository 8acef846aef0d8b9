/// An event read off the wire, with the mode it arrived in.
public struct DecodedEnvelope: Sendable, Hashable {
    public var event: Event
    public var mode: EnvelopeMode

    public init(event: Event, mode: EnvelopeMode) {
        self.event = event
        self.mode = mode
    }
}
