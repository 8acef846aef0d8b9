import Foundation

/// Remembers which events were handled, so a duplicate is handled once without giving up
/// at-least-once: a key is reserved while its event is being handled, marked done only after
/// the handler succeeded and the delivery was acked, and released on failure. A reservation
/// expires, so a process that crashed while holding one does not block the event for ever.
///
/// A store also counts the reservations of a key until it is done. Brokers that cannot count
/// deliveries (Kafka) then still see how often an event was tried, crashes included, so a
/// message that kills its consumer is dead-lettered instead of coming back for ever.
public protocol IdempotencyStore: Sendable {
    /// Tries to reserve `key` for `ttl`.
    func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation
    /// Marks `key` done; the mark is kept for `retention`.
    func complete(_ key: String, retention: Duration) async throws
    /// Gives up a reservation so the event can be handled again; its count stays.
    func release(_ key: String) async throws
    /// Forgets a key that is not done, count included (its event was dead-lettered: a replay
    /// of it is handled afresh).
    func forget(_ key: String) async throws
    /// Reserves several keys at once, as reserving each in turn would: one round trip or
    /// transaction for a batch of deliveries.
    func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation]
    /// Marks several keys done at once.
    func complete(_ keys: [String], retention: Duration) async throws
    /// Marks `key` done and keeps `outcome` with the mark (a command's reply), so that a
    /// command delivered again gets the same answer without running again.
    func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws
    /// What `complete(_:retention:keeping:)` kept for `key`, while the mark lasts; nil if it is
    /// not done, was completed without an outcome, or is forgotten.
    func outcome(of key: String) async throws -> Data?
}

extension IdempotencyStore {
    /// One call per key, for a store with no cheaper way.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        var reservations: [IdempotencyReservation] = []
        reservations.reserveCapacity(keys.count)
        for key in keys { reservations.append(try await reserve(key, for: ttl)) }
        return reservations
    }

    public func complete(_ keys: [String], retention: Duration) async throws {
        for key in keys { try await complete(key, retention: retention) }
    }
}

/// What `reserve` found.
public enum IdempotencyReservation: Sendable, Hashable {
    /// The caller holds the key now: handle the event. `attempt` counts the reservations of the
    /// key so far, this one included.
    case acquired(attempt: Int)
    /// The event was handled already: acknowledge the duplicate and skip it.
    case done
    /// Another handler holds the key: try again after its reservation could have expired.
    case inProgress
}
