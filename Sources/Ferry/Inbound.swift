/// One message as a transport hands it to the core: decoded or not, where it came from, and
/// how to settle it on the broker.
public struct Inbound: Sendable {
    public var envelope: Result<DecodedEnvelope, FerryError>
    /// 1 on first delivery; counted by the broker or carried in Ferry's attempt header.
    public var attempt: Int
    public var position: Position
    public var settle: @Sendable (Settlement) async throws -> Void

    public init(
        envelope: Result<DecodedEnvelope, FerryError>, attempt: Int, position: Position,
        settle: @escaping @Sendable (Settlement) async throws -> Void
    ) {
        self.envelope = envelope
        self.attempt = attempt
        self.position = position
        self.settle = settle
    }
}
