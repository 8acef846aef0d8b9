/// An event read off the wire, with the mode it arrived in.
package struct DecodedEnvelope: Sendable, Hashable {
    package var event: Event
    package var mode: EnvelopeMode
}
