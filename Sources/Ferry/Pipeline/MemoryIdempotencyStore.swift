import Foundation

/// An idempotency store in this process's memory: bounded (least recently used keys go first)
/// and expiring. The default; it forgets everything when the process ends.
public final class MemoryIdempotencyStore: IdempotencyStore {
    /// A key as 128 bits of two differently salted hashes (seeded per process): about a fifth
    /// of the memory of the key itself, which a relay holds 100,000 of.
    private struct Digest: Hashable {
        let high: Int
        let low: Int

        init(_ key: String) {
            var first = Hasher()
            first.combine(0 as UInt8)
            first.combine(key)
            var second = Hasher()
            second.combine(1 as UInt8)
            second.combine(key)
            high = first.finalize()
            low = second.finalize()
        }
    }

    private struct Entry {
        var done: Bool
        var expires: ContinuousClock.Instant
        var stamp: UInt64
        /// Reservations so far; kept when a reservation is released or expires.
        var attempts = 0
        /// What `complete(_:retention:keeping:)` kept: a command's reply.
        var outcome: Data?
    }

    private struct State {
        var entries: [Digest: Entry] = [:]
        var order: [(key: Digest, stamp: UInt64)] = []
        var clock: UInt64 = 0
        var head = 0
    }

    private let capacity: Int
    private let state = Locked(State())

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        let now = ContinuousClock.now
        return state.withLock { Self.reserve(&$0, Digest(key), now: now, ttl: ttl, capacity) }
    }

    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        let now = ContinuousClock.now
        let digests = keys.map(Digest.init)
        return state.withLock { state in digests.map { Self.reserve(&state, $0, now: now, ttl: ttl, capacity) } }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        let now = ContinuousClock.now
        state.withLock { Self.complete(&$0, Digest(key), until: now + retention, capacity) }
    }

    public func complete(_ keys: [String], retention: Duration) async throws {
        let until = ContinuousClock.now + retention
        let digests = keys.map(Digest.init)
        state.withLock { state in
            for key in digests { Self.complete(&state, key, until: until, capacity) }
        }
    }

    public func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
        let now = ContinuousClock.now
        state.withLock { Self.complete(&$0, Digest(key), until: now + retention, outcome: outcome, capacity) }
    }

    public func outcome(of key: String) async throws -> Data? {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.entries[Digest(key)].flatMap { $0.done && $0.expires > now ? $0.outcome : nil }
        }
    }

    public func release(_ key: String) async throws {
        let now = ContinuousClock.now
        let key = Digest(key)
        state.withLock { state in
            if state.entries[key]?.done == false { state.entries[key]!.expires = now }
        }
    }

    public func forget(_ key: String) async throws {
        let key = Digest(key)
        state.withLock { state in
            if state.entries[key]?.done == false { state.entries.removeValue(forKey: key) }
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    private static func reserve(_ state: inout State, _ key: Digest, now: ContinuousClock.Instant, ttl: Duration, _ capacity: Int)
        -> IdempotencyReservation
    {
        var attempts = 1
        switch state.entries[key] {
        case let entry? where entry.expires > now:
            return entry.done ? .done : .inProgress
        case let entry? where !entry.done:  // released, or its holder crashed: the count goes on
            attempts = entry.attempts + 1
        default:  // new, or done long ago
            break
        }
        put(&state, key, Entry(done: false, expires: now + ttl, stamp: 0, attempts: attempts), capacity: capacity)
        return .acquired(attempt: attempts)
    }

    private static func complete(
        _ state: inout State, _ key: Digest, until expires: ContinuousClock.Instant, outcome: Data? = nil, _ capacity: Int
    ) {
        if let index = state.entries.index(forKey: key) {  // reserved: completed in place, its recency kept
            state.entries.values[index].done = true
            state.entries.values[index].expires = expires
            state.entries.values[index].outcome = outcome
        } else {
            put(&state, key, Entry(done: true, expires: expires, stamp: 0, outcome: outcome), capacity: capacity)
        }
    }

    /// Inserts or refreshes `key` as most recently used, evicting the least recently used.
    private static func put(_ state: inout State, _ key: Digest, _ entry: Entry, capacity: Int) {
        state.clock += 1
        var entry = entry
        entry.stamp = state.clock
        state.entries[key] = entry
        state.order.append((key, state.clock))
        while state.entries.count > capacity, state.head < state.order.count {
            let oldest = state.order[state.head]
            state.head += 1
            if state.entries[oldest.key]?.stamp == oldest.stamp { state.entries.removeValue(forKey: oldest.key) }
        }
        if state.order.count > 2 * max(capacity, 1024) {  // evicted and refreshed keys leave entries behind
            // Still in stamp order: dropping what is stale keeps it sorted, without sorting again.
            state.order = state.order[state.head...].filter { state.entries[$0.key]?.stamp == $0.stamp }
            state.head = 0
        }
    }
}
