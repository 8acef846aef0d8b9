import Synchronization

/// One event handed to a consumer. Settle it exactly once: `ack()` after its effect has
/// happened, `retry(after:)` to see it again later, or `deadLetter(_:)` to give up on it.
public final class Delivery: Sendable {
    public let event: Event
    public let mode: EnvelopeMode
    public let position: Position
    /// Where it was consumed from (its password is masked in `description`).
    public let endpoint: Endpoint
    private let handle: Inbound.Handle
    private let attemptCount: Atomic<Int>
    private let settled = Mutex(false)
    private let key = Mutex<String?>(nil)

    init(envelope: DecodedEnvelope, inbound: Inbound, endpoint: Endpoint) {
        self.event = envelope.event
        self.mode = envelope.mode
        self.position = inbound.handle.position
        self.endpoint = endpoint
        handle = inbound.handle
        attemptCount = Atomic(inbound.handle.attempt)
    }

    /// 1 on first delivery, then 2, 3... on redelivery and retries, the same way on every
    /// broker (a `Consumer` also counts deliveries its idempotency store saw end in a crash).
    public var attempt: Int { attemptCount.load(ordering: .relaxed) }

    /// The key the event holds in the consumer's idempotency store while its handler runs;
    /// nil without a store. A handler whose effect is a database write marks it done in the
    /// same transaction (an inbox: `PostgresIdempotencyStore.complete(_:on:)`,
    /// `SQLiteIdempotencyStore.complete(_:in:)`).
    public var idempotencyKey: String? { key.withLock { $0 } }

    package func holds(key held: String?) { key.withLock { $0 = held } }

    /// `idempotencyKey`, for an inbox: without one, the consumer is not using the inbox's store.
    package func inboxKey() throws(FerryError) -> String {
        guard let key = idempotencyKey else {
            throw FerryError(
                .invalidConfiguration, "event \(event.id) holds no key in an idempotency store",
                remedy: "give its Consumer the inbox's store as ConsumerOptions.idempotency")
        }
        return key
    }

    /// Where the message was first consumed: `position`, unless this is a retried copy.
    public var origin: Position { handle.origin }

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
        switch settlement {
        case .ack: try await carryOut(.ack)
        case .retry(let delay, _): try await carryOut(handle.retrying(after: delay, nextAttempt: attempt + 1))
        case .deadLetter(let reason): try await carryOut(handle.deadLettering(reason, attempt: attempt, endpoint: endpoint))
        }
    }

    /// Hands the event out again after `delay` without counting an attempt: it was not tried.
    package func postpone(after delay: Duration) async throws {
        try await carryOut(handle.retrying(after: delay, nextAttempt: attempt))
    }

    /// Counts attempts the broker did not see (deliveries that ended in a crash).
    func raiseAttempt(to count: Int) {
        _ = attemptCount.max(count, ordering: .relaxed)
    }

    /// Has the adapter carry out `action`, once: a second settlement is a programming error and
    /// throws.
    private func carryOut(_ action: BrokerSettlement) async throws {
        let first = settled.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else {
            throw FerryError(.alreadySettled, "delivery \(event.id) at \(position) was already settled")
        }
        do {
            try await handle.settle(action)
        } catch {
            settled.withLock { $0 = false }  // nothing happened on the broker: it may be settled again
            throw error
        }
    }
}
