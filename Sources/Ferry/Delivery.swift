import Synchronization

/// One event handed to a consumer. Settle it exactly once: `ack()` after its effect has
/// happened, `retry(after:)` to see it again later, or `deadLetter(_:)` to give up on it.
public final class Delivery: Sendable {
    public let event: Event
    public let mode: EnvelopeMode
    /// 1 on first delivery, then 2, 3... on redelivery and retries.
    public let attempt: Int
    public let position: Position
    /// Where it was consumed from (its password is masked in `description`).
    public let endpoint: Endpoint
    private let settler: @Sendable (Settlement) async throws -> Void
    private let settled = Mutex(false)

    init(envelope: DecodedEnvelope, inbound: Inbound, endpoint: Endpoint) {
        self.event = envelope.event
        self.mode = envelope.mode
        self.attempt = inbound.attempt
        self.position = inbound.position
        self.endpoint = endpoint
        self.settler = inbound.settle
    }

    /// True when the message had no CloudEvents attributes and Ferry made them up.
    public var isWrapped: Bool { mode == .plain }

    /// The adapter writes acks in batches, shortly after and always before it closes; one lost
    /// to a crash in between means a redelivery (at-least-once).
    public func ack() async throws { try await settle(.ack) }

    public func retry(after delay: Duration, reason: String = "retry requested") async throws {
        try await settle(.retry(after: delay, reason: reason))
    }

    public func deadLetter(_ reason: DeadLetterReason) async throws { try await settle(.deadLetter(reason)) }

    public func decode<Payload: EventPayload>(_ type: Payload.Type) throws(FerryError) -> Payload {
        try event.decode(type)
    }

    /// The payload, upcast from an older version through `schemas`.
    public func decode<Payload: EventPayload>(_ type: Payload.Type, schemas: SchemaRegistry) throws(FerryError) -> Payload {
        try event.decode(type, schemas: schemas)
    }

    /// Carries out a settlement once; a second one is a programming error and throws.
    public func settle(_ settlement: Settlement) async throws {
        let first = settled.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else {
            throw FerryError(.alreadySettled, "delivery \(event.id) at \(position) was already settled")
        }
        do {
            try await settler(settlement)
        } catch {
            settled.withLock { $0 = false }  // nothing happened on the broker: it may be settled again
            throw error
        }
    }
}
