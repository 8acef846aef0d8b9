import Foundation

/// The headers a dead letter carries on every backend, beside its untouched payload and
/// attributes: why it failed, how often, when, and where it came from.
public struct DeadLetterRecord: Sendable, Hashable {
    /// The header names, the same on every broker.
    public enum Header {
        public static let reason = "ferry-dlq-reason"
        public static let error = "ferry-dlq-error"
        public static let attempts = "ferry-dlq-attempts"
        public static let firstFailure = "ferry-dlq-first-failure"
        public static let lastFailure = "ferry-dlq-last-failure"
        public static let endpoint = "ferry-dlq-endpoint"
        public static let position = "ferry-dlq-position"
        /// On a replayed letter: the records of its earlier dead-letterings, oldest first.
        public static let history = "ferry-dlq-history"
        /// On a letter `ferry dlq purge` or `replay --reason` passed over and moved to the back of
        /// the DLQ: that run's mark, so that meeting it again ends the run.
        public static let pass = "ferry-dlq-pass"
        static let all = [reason, error, attempts, firstFailure, lastFailure, endpoint, position, pass]
    }

    public var reason: DeadLetterReason
    public var attempts: Int
    public var firstFailureMicros: Int64
    public var lastFailureMicros: Int64
    /// The endpoint the message was consumed from, without its password.
    public var endpoint: String
    public var position: Position

    public init(
        reason: DeadLetterReason, attempts: Int, firstFailure: Date? = nil, lastFailure: Date = Date(),
        endpoint: String, position: Position
    ) {
        self.reason = reason
        self.attempts = attempts
        self.lastFailureMicros = Event.micros(of: lastFailure)
        self.firstFailureMicros = firstFailure.map(Event.micros(of:)) ?? lastFailureMicros
        self.endpoint = endpoint
        self.position = position
    }

    public var headers: [String: String] {
        [
            Header.reason: reason.code.name,
            Header.error: reason.message,
            Header.attempts: String(attempts),
            Header.firstFailure: RFC3339.format(micros: firstFailureMicros),
            Header.lastFailure: RFC3339.format(micros: lastFailureMicros),
            Header.endpoint: endpoint,
            Header.position: position.description,
        ]
    }

    /// A record failing now, first failed at `firstFailureMicros` (now when nil).
    public init(reason: DeadLetterReason, attempts: Int, firstFailureMicros: Int64?, endpoint: String, position: Position) {
        self.init(reason: reason, attempts: attempts, endpoint: endpoint, position: position)
        if let firstFailureMicros { self.firstFailureMicros = firstFailureMicros }
    }

    /// Reads the record back from a dead letter's headers; nil when they are not all there.
    public init?(headers: [String: String]) {
        guard let code = headers[Header.reason], let message = headers[Header.error],
            let attempts = headers[Header.attempts].flatMap({ Int($0) }),
            let first = headers[Header.firstFailure].flatMap({ RFC3339.parse($0) }),
            let last = headers[Header.lastFailure].flatMap({ RFC3339.parse($0) }),
            let endpoint = headers[Header.endpoint], let position = headers[Header.position].flatMap(Position.init)
        else { return nil }
        self.reason = DeadLetterReason(.init(code), message)
        self.attempts = attempts
        self.firstFailureMicros = first
        self.lastFailureMicros = last
        self.endpoint = endpoint
        self.position = position
    }

    /// `headers` without any dead-letter headers.
    public static func removing(from headers: [String: String]) -> [String: String] {
        headers.filter { !Header.all.contains($0.key) }
    }

    /// The headers of a dead letter sent back for another try: its dead-letter headers move
    /// into `ferry-dlq-history` (after earlier ones), so the next consumer sees the event as it
    /// was published and an operator still sees its past.
    public static func replayed(_ headers: [String: String]) -> [String: String] {
        var out = removing(from: headers)
        if let record = DeadLetterRecord(headers: headers) {
            let entry = "\(record.reason.code)@\(record.attempts)@\(record.position)@\(headers[Header.lastFailure] ?? "")"
            out[Header.history] = out[Header.history].map { "\($0); \(entry)" } ?? entry
        }
        return out
    }
}
