import Ferry
import Foundation
import Logging

/// An idempotency store in Redis, shared by every process that points at it (scale-out relays
/// and consumers) and kept across their restarts: `redis://[user:password@]host:port/prefix`.
/// One key per event, `<prefix>:<key>`: `done` (expiring after the retention window), or
/// `r:<attempts>:<until>` while reserved — the reservations so far, and when the last one
/// runs out in Redis's clock (ms) — kept a day after the last reservation. A new key costs
/// one `SET NX` to reserve and one `SET` to complete.
public final class RedisIdempotencyStore: IdempotencyStore {
    private let connection: RedisStoreConnection
    private let prefix: String
    /// How long a reserved key keeps its count after its last reservation, at least.
    private static let dayInMilliseconds = 86_400_000
    private static let done = Data("done".utf8)
    /// A done mark that keeps an outcome: `done:` and its bytes.
    private static let doneKeeping = Data("done:".utf8)

    /// Takes a key whose value was read as ARGV[1] (a reservation run out, or something Ferry
    /// did not write), if it still holds that: anything that is not a string counts as free,
    /// so that it cannot hold an event back for good. 1 if taken.
    private static let takeOverScript = """
        local kind = redis.call('TYPE', KEYS[1]).ok
        if kind == 'string' then
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        elseif kind ~= 'none' then
            redis.call('DEL', KEYS[1])
        end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return 1
        """
    /// Ends a reservation now, keeping its count; never touches a done mark.
    private static let releaseScript = """
        local held = redis.call('GET', KEYS[1])
        if type(held) ~= 'string' or string.sub(held, 1, 2) ~= 'r:' then return 0 end
        local attempts = string.match(held, '^r:(%d+):')
        if not attempts then return 0 end
        redis.call('SET', KEYS[1], 'r:' .. attempts .. ':0', 'KEEPTTL')
        return 1
        """
    /// Forgets a key that is not done, count included.
    private static let forgetScript = """
        local held = redis.call('GET', KEYS[1])
        if held == 'done' or (type(held) == 'string' and string.sub(held, 1, 5) == 'done:') then return 0 end
        return redis.call('DEL', KEYS[1])
        """

    public init(_ url: String) throws {
        let endpoint = try RedisEndpoint(try Endpoint(url))
        connection = RedisStoreConnection(endpoint, what: "idempotency store")
        prefix = endpoint.stream
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        try await reserve([key], for: ttl)[0]
    }

    /// Two round trips for a batch of new keys: `TIME`, then a `SET mark r:1:until NX PX day
    /// GET` per key, which takes the key atomically if free and says what held it if not. A key
    /// whose reservation ran out is taken over by a script, counting on: one more round trip.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        guard !keys.isEmpty else { return [] }
        let ttl = Int(max(1, ttl.microseconds / 1000))
        let kept = String(max(Self.dayInMilliseconds, ttl))  // the count outlives the reservation
        let store = connection
        return try await connection.with { [self] connection throws(FerryError) -> [IdempotencyReservation] in
            // Redis's clock, so that every member compares reservations' ends alike.
            let time = try connection.command(["TIME"]).array ?? []
            guard time.count == 2, let seconds = time[0].integer, let micros = time[1].integer else {
                throw FerryError(.connectionFailed, "the idempotency store at \(store.endpoint.location) did not tell its time")
            }
            let now = seconds * 1000 + micros / 1000
            let replies = try connection.pipeline(
                keys.map { RedisCommand(["SET", mark($0), "r:1:\(now + ttl)", "NX", "PX", kept, "GET"]) })
            var reservations = [IdempotencyReservation](repeating: .inProgress, count: keys.count)
            var takeOvers: [(index: Int, attempts: Int)] = []
            var scripts: [RedisCommand] = []
            for (index, reply) in replies.enumerated() {
                let held: Data  // compared byte for byte by the take-over script
                switch reply {
                case .null:
                    reservations[index] = .acquired(attempt: 1)
                    continue
                case .string(let bytes):
                    held = bytes
                case .error(let message) where !message.hasPrefix("WRONGTYPE"):
                    throw store.refused("SET", message)
                default:  // another type: the script replaces it
                    held = Data()
                }
                if held == Self.done || held.starts(with: Self.doneKeeping) {
                    reservations[index] = .done
                    continue
                }
                let (attempts, until) = Self.reservation(String(decoding: held, as: UTF8.self))
                // Still reserved; an end further away than any reservation Ferry writes is
                // not Ferry's, and counts as free.
                if let until, until > now, until <= now + ttl + 60_000 { continue }
                takeOvers.append((index, attempts + 1))
                var script = RedisCommand(["EVAL", Self.takeOverScript, "1", mark(keys[index])])
                script.append(held)
                script.append("r:\(attempts + 1):\(now + ttl)")
                script.append(kept)
                scripts.append(script)
            }
            guard !scripts.isEmpty else { return reservations }
            for (takeOver, reply) in zip(takeOvers, try connection.pipeline(scripts)) {
                switch reply {
                case .integer(1): reservations[takeOver.index] = .acquired(attempt: takeOver.attempts)
                case .error(let message): throw store.refused("EVAL", message)
                default: break  // another member took it first
                }
            }
            return reservations
        }
    }

    /// The attempts and the end (Redis time, ms) of a reservation written as `r:<n>:<until>`;
    /// anything else is no reservation: (0, nil).
    static func reservation(_ value: String) -> (attempts: Int, until: Int?) {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "r", let attempts = Int(parts[1]), attempts > 0, attempts < 1_000_000,
            let until = Int(parts[2])
        else { return (0, nil) }
        return (attempts, until)
    }

    public func complete(_ key: String, retention: Duration) async throws {
        try await complete([key], retention: retention)
    }

    /// One round trip for the whole batch: a `SET mark done PX retention` per key.
    public func complete(_ keys: [String], retention: Duration) async throws {
        guard !keys.isEmpty else { return }
        let retention = String(max(1, retention.microseconds / 1000))
        let replies = try await connection.with { [self] connection throws(FerryError) in
            try connection.pipeline(keys.map { RedisCommand(["SET", mark($0), "done", "PX", retention]) })
        }
        for case .error(let message) in replies { throw connection.refused("SET", message) }
    }

    public func complete(_ key: String, retention: Duration, keeping outcome: Data) async throws {
        var set = RedisCommand(["SET", mark(key)])
        set.append(Self.doneKeeping + outcome)
        set.append("PX")
        set.append(String(max(1, retention.microseconds / 1000)))
        _ = try await connection.run(set, named: "SET")
    }

    public func outcome(of key: String) async throws -> Data? {
        guard case .string(let held) = try await connection.run(["GET", mark(key)]), held.starts(with: Self.doneKeeping) else { return nil }
        return Data(held.dropFirst(Self.doneKeeping.count))
    }

    public func release(_ key: String) async throws {
        _ = try await connection.run(["EVAL", Self.releaseScript, "1", mark(key)])
    }

    public func forget(_ key: String) async throws {
        _ = try await connection.run(["EVAL", Self.forgetScript, "1", mark(key)])
    }

    /// Where a key's mark is kept.
    private func mark(_ key: String) -> String { "\(prefix):\(key)" }
}
