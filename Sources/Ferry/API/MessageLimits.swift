/// How large one message may be before Ferry refuses to read it. A message past a limit is not
/// parsed: it is dead-lettered whole with reason `decode`, the limit named, and the consumer
/// goes on. The defaults fit every broker's own defaults; raise them per subscription.
public struct MessageLimits: Sendable, Hashable {
    /// Body, header names and header values together, in bytes.
    public var maxBytes: Int
    /// Headers: Kafka record headers, AMQP header table entries, Redis entry fields.
    public var maxHeaders: Int
    /// Tables and arrays inside the AMQP headers table, in levels.
    public var maxNesting: Int

    public init(maxBytes: Int = 16 << 20, maxHeaders: Int = 256, maxNesting: Int = 8) {
        self.maxBytes = max(1, maxBytes)
        self.maxHeaders = max(1, maxHeaders)
        self.maxNesting = max(1, maxNesting)
    }

    /// Throws the `decode` error of the first limit a message passes.
    package func check(headers: Int, bytes: Int, nesting: Int = 0) throws(FerryError) {
        if bytes > maxBytes { throw Self.over("\(bytes) bytes", "maxBytes", maxBytes) }
        if headers > maxHeaders { throw Self.over("\(headers) headers", "maxHeaders", maxHeaders) }
        if nesting > maxNesting { throw Self.over("header tables nested at least \(nesting) levels deep", "maxNesting", maxNesting) }
    }

    /// The byte count `check` compares with `maxBytes`. Inlinable: it runs for every message,
    /// and unspecialized it calls `bytes` through a witness table per header.
    @inlinable
    package static func size<Headers: Sequence>(body: Int, headers: Headers, _ bytes: (Headers.Element) -> Int) -> Int {
        headers.reduce(body) { $0 &+ bytes($1) }
    }

    private static func over(_ what: String, _ limit: String, _ value: Int) -> FerryError {
        FerryError(
            .malformedEnvelope, "the message has \(what), over the limit \(limit) = \(value)",
            remedy: "raise the limit if such messages are expected: MessageLimits.\(limit), or the relay route's 'limits'")
    }
}
