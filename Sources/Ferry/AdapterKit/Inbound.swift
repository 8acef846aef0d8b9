import Foundation

/// One message as an adapter hands it to the core: decoded or not, and its `Handle`. The core
/// decides what to do with it; the adapter only does it.
package struct Inbound: Sendable {
    package var envelope: Result<DecodedEnvelope, FerryError>
    package var handle: Handle

    /// Where a message sits, what the broker (or Ferry's retry headers) say about earlier
    /// attempts, and how to carry out a settlement on the broker: what a `Delivery` keeps.
    package struct Handle: Sendable {
        /// 1 on first delivery; counted by the broker or carried in Ferry's retry headers.
        package var attempt: Int
        /// Where this copy sits: what the adapter settles.
        package var position: Position
        /// Where the message was first consumed: `position`, unless this is a retried copy.
        package var origin: Position
        /// When it first failed (microseconds since 1970), where known.
        package var firstFailureMicros: Int64?
        package var settle: @Sendable (BrokerSettlement) async throws -> Void

        /// The move to the dead-letter destination with Ferry's record of why: the one place
        /// dead-letter headers are written.
        func deadLettering(_ reason: DeadLetterReason, attempt: Int, endpoint: Endpoint) -> BrokerSettlement {
            let record = DeadLetterRecord(
                reason: reason, attempts: attempt, firstFailureMicros: firstFailureMicros, endpoint: endpoint.description,
                position: origin)
            return .deadLetter(headers: record.headers)
        }

        /// Another delivery after `delay`, as attempt `nextAttempt`, with the retry headers.
        func retrying(after delay: Duration, nextAttempt: Int) -> BrokerSettlement {
            let now = Event.micros(of: Date())
            let first = firstFailureMicros ?? now
            let headers = RetryHeaders.next(
                attempt: nextAttempt, origin: origin, firstFailureMicros: first, dueMicros: now + delay.microseconds)
            return .retry(Redelivery(delay: delay, nextAttempt: nextAttempt, firstFailureMicros: first, headers: headers))
        }
    }

    package init(
        envelope: Result<DecodedEnvelope, FerryError>, attempt: Int, position: Position, origin: Position? = nil,
        firstFailureMicros: Int64? = nil, settle: @escaping @Sendable (BrokerSettlement) async throws -> Void
    ) {
        self.envelope = envelope
        handle = Handle(
            attempt: attempt, position: position, origin: origin ?? position, firstFailureMicros: firstFailureMicros, settle: settle)
    }
}
