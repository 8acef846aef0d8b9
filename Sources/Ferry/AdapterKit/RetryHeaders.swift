/// Transport headers a broker adapter puts on a message it republishes for a delayed retry,
/// where the broker cannot count attempts itself. They are stripped before the envelope is
/// decoded, so the event a handler sees is the one that was published.
package enum RetryHeaders {
    /// The attempt number the next delivery will carry (2 on the first retry).
    package static let attempt = "ferry-attempt"
    /// When the retry is due: microseconds since 1970.
    package static let due = "ferry-retry-due"
    /// Where the message was first consumed (a `Position`), kept for the dead-letter record.
    package static let origin = "ferry-origin"
    /// When it first failed: microseconds since 1970.
    package static let firstFailure = "ferry-first-failure"

    package static let names: Set<String> = [attempt, due, origin, firstFailure]

    /// Whether `name` is one of them; checked for every header of every message, so the first
    /// byte rules out most names before a hash is computed.
    package static func contains(_ name: String) -> Bool {
        name.utf8.first == UInt8(ascii: "f") && names.contains(name)
    }

    /// The most attempts a header may claim; more is not Ferry's doing.
    static let maxAttempt = 1_000_000

    /// What Ferry's retry headers among `headers` say (nil where absent, unreadable or out of
    /// bounds: adapters trust them only on messages from Ferry's own retry destination, and even
    /// there a number must not overflow what is computed from it).
    package static func read(_ headers: [String: String]) -> (attempt: Int?, origin: Position?, firstFailureMicros: Int64?) {
        (
            headers[attempt].flatMap { Int($0) }.flatMap { (1...maxAttempt).contains($0) ? $0 : nil },
            headers[origin].flatMap(Position.init),
            headers[firstFailure].flatMap { Int64($0) }.flatMap { PlainOrigin.time($0, unitMicros: 1) }
        )
    }

    /// The headers of a copy republished for its next attempt.
    package static func next(attempt next: Int, origin position: Position, firstFailureMicros: Int64, dueMicros: Int64) -> [String: String]
    {
        [attempt: String(next), origin: position.description, firstFailure: String(firstFailureMicros), due: String(dueMicros)]
    }
}
