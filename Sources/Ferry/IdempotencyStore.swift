/// Remembers which events were handled, so a duplicate is handled once without giving up
/// at-least-once: a key is reserved while its event is being handled, marked done only after
/// the handler succeeded and the delivery was acked, and released on failure. A reservation
/// expires, so a process that crashed while holding one does not block the event for ever.
public protocol IdempotencyStore: Sendable {
    /// Tries to reserve `key` for `ttl`.
    func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation
    /// Marks `key` done; the mark is kept for `retention`.
    func complete(_ key: String, retention: Duration) async throws
    /// Gives up a reservation so the event can be handled again.
    func release(_ key: String) async throws
}

/// What `reserve` found.
public enum IdempotencyReservation: Sendable, Hashable {
    /// The caller holds the key now: handle the event.
    case acquired
    /// The event was handled already: acknowledge the duplicate and skip it.
    case done
    /// Another handler holds the key: try again after its reservation could have expired.
    case inProgress
}
