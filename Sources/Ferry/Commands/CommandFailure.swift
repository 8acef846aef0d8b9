/// Why a command was not carried out: thrown by a `Responder`'s handler to refuse it (a
/// declined card), or made by Ferry when the handler failed for good; the requester's
/// `request` throws it. It travels as the reply, so it must say nothing secret.
public struct CommandFailure: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    /// A short, stable word a requester can branch on (`declined`, `handler`, `decode`, ...).
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "command failed (\(code)): \(message)" }

    /// The type of a failure reply's event.
    package static let eventType = "ferry.command.failure"
}
