/// A transport that can show what a destination holds for a group without consuming it: what
/// `ferry dlq list` reads. Browsing joins, creates and moves nothing (no group, no topic, no
/// acknowledgement), and ends at the end of what was there when it began.
package protocol Browsable: Transport {
    /// Calls `body` with each message of `endpoint` that `group` has not settled (every message
    /// when the group does not exist), oldest first per partition, until the end or until
    /// `body` returns false.
    func browse(
        _ endpoint: Endpoint, group: String, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws

    /// Calls `body` with each message of `endpoint` from `start` on, oldest first per
    /// partition, until the end of what was there when reading began or until `body` returns
    /// false: what `ferry replay` copies. Like browsing, it joins and moves nothing.
    func history(
        _ endpoint: Endpoint, from start: SubscribeOptions.Start, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws
}

/// One message seen by `Browsable.browse`: where it is, and what it decoded to.
package struct Browsed: Sendable {
    package var position: Position
    package var envelope: Result<DecodedEnvelope, FerryError>

    package init(position: Position, envelope: Result<DecodedEnvelope, FerryError>) {
        self.position = position
        self.envelope = envelope
    }
}
