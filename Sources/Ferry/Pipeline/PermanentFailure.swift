/// Thrown by a handler for an event that no retry can fix: it goes to the dead-letter
/// destination at once, with `reason`.
public struct PermanentFailure: Error, Sendable, CustomStringConvertible {
    public var reason: DeadLetterReason

    public init(_ reason: DeadLetterReason) { self.reason = reason }

    public init(_ message: String) { reason = .handler(message) }

    public var description: String { reason.description }
}
