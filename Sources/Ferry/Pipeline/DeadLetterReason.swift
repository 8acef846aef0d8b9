/// Why a message went to the dead-letter destination: a class operators filter on, and the text.
public struct DeadLetterReason: Sendable, Hashable, CustomStringConvertible {
    /// The reason class; extensible, compared by name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The message is not a readable envelope.
        public static let decode = Code("decode")
        /// The event does not match its schema, or its type/version is unknown.
        public static let schema = Code("schema")
        /// The handler gave up on it.
        public static let handler = Code("handler")
        /// The retry policy ran out of attempts.
        public static let retriesExhausted = Code("retries-exhausted")
        /// The handler took too long.
        public static let timeout = Code("timeout")
        /// A destination refused it for good.
        public static let rejected = Code("rejected")
        /// It has crossed more relay hops than allowed.
        public static let loop = Code("loop")
        /// It was delivered more often than the retry policy allows and never settled: the
        /// consumer stopped (crashed, was killed) each time while handling it.
        public static let crashed = Code("crashed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func handler(_ message: String) -> DeadLetterReason { .init(.handler, message) }

    public var description: String { "\(code): \(message)" }
}
