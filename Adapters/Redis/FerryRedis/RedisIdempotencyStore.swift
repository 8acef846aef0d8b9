import Ferry
import Foundation
import Logging

/// An idempotency store in Redis, shared by every process that points at it (scale-out relays
/// and consumers) and kept across their restarts: `redis://[user:password@]host:port/prefix`.
/// Keys are `<prefix>:<key>` holding `reserved` (expiring with the reservation) or `done`
/// (expiring after the retention window); `<prefix>#attempts:<key>` counts the reservations
/// until the key is done (kept a day after the last one).
public final class RedisIdempotencyStore: IdempotencyStore, @unchecked Sendable {
    // @unchecked: `link` is only touched on `executor`.
    private let endpoint: RedisEndpoint
    private let prefix: String
    private let executor = BlockingExecutor(label: "ferry.redis.idempotency")
    private var link: Reconnecting<RedisConnection>

    /// Reserve one key atomically, where a plain `SET ... NX` cannot: its mark or count holds
    /// something Ferry did not write (another value, another type), which counts as free so
    /// that it cannot hold an event back for good.
    private static let takeOverScript = """
        local kind = redis.call('TYPE', KEYS[1]).ok
        if kind ~= 'string' and kind ~= 'none' then redis.call('DEL', KEYS[1]) end
        local held = redis.call('GET', KEYS[1])
        if held == 'done' or held == 'reserved' then return held end
        redis.call('SET', KEYS[1], 'reserved', 'PX', ARGV[1])
        local attempts = redis.pcall('INCR', KEYS[2])
        if type(attempts) ~= 'number' then
            redis.call('DEL', KEYS[2])
            attempts = redis.call('INCR', KEYS[2])
        end
        redis.call('PEXPIRE', KEYS[2], 86400000)
        return attempts
        """
    /// Release only a reservation, never a done mark; the count stays.
    private static let releaseScript = """
        if redis.call('GET', KEYS[1]) == 'reserved' then return redis.call('DEL', KEYS[1]) end
        return 0
        """
    /// Forget a key that is not done, with its count.
    private static let forgetScript = """
        if redis.call('GET', KEYS[1]) == 'done' then return 0 end
        return redis.call('DEL', KEYS[1], KEYS[2])
        """

    public init(_ url: String) throws {
        let endpoint = try RedisEndpoint(try Endpoint(url))
        self.endpoint = endpoint
        prefix = endpoint.stream
        link = Reconnecting("Redis idempotency store at \(endpoint.location)", logger: Logger(label: "ferry.redis")) {
            () throws(FerryError) in
            try RedisConnection(endpoint)
        }
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        try await reserve([key], for: ttl)[0]
    }

    /// Two round trips for the whole batch, of plain commands (a script costs the server
    /// several times more): `SET mark reserved NX PX ttl GET` takes each free key atomically
    /// and says what held the others; then each key taken counts its attempt.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        guard !keys.isEmpty else { return [] }
        let ttl = String(max(1, ttl.microseconds / 1000))
        return try await executor.run { [self] () throws -> [IdempotencyReservation] in
            try link.runRetryingOnce { connection throws(FerryError) in
                let held = try connection.pipeline(keys.map { RedisCommand(["SET", mark($0), "reserved", "NX", "PX", ttl, "GET"]) })
                var reservations = [IdempotencyReservation](repeating: .inProgress, count: keys.count)
                var taken: [(index: Int, takeOver: Bool)] = []
                var commands: [RedisCommand] = []
                for (index, reply) in held.enumerated() {
                    let key = keys[index]
                    switch reply {
                    case .null:
                        taken.append((index, false))
                        commands += [RedisCommand(["INCR", count(key)]), RedisCommand(["PEXPIRE", count(key), "86400000"])]
                    case _ where reply.text == "done":
                        reservations[index] = .done
                    case _ where reply.text == "reserved":
                        reservations[index] = .inProgress
                    case .error(let message) where !message.hasPrefix("WRONGTYPE"):
                        throw refused("SET", message)
                    default:  // something Ferry did not write under the mark
                        taken.append((index, true))
                        commands.append(RedisCommand(["EVAL", Self.takeOverScript, "2", mark(key), count(key), ttl]))
                    }
                }
                var replies = try connection.pipeline(commands)[...]
                for (index, takeOver) in taken {
                    var reply = replies.removeFirst()
                    if !takeOver {
                        _ = replies.removeFirst()  // PEXPIRE's
                        if case .error = reply {  // the count held something else: it starts again
                            let key = keys[index]
                            reply = try connection.pipeline([
                                RedisCommand(["DEL", count(key)]), RedisCommand(["INCR", count(key)]),
                                RedisCommand(["PEXPIRE", count(key), "86400000"]),
                            ])[1]
                        }
                    }
                    switch reply {
                    case .integer(let attempts): reservations[index] = .acquired(attempt: attempts)
                    case .error(let message): throw refused(takeOver ? "EVAL" : "INCR", message)
                    case _ where reply.text == "done": reservations[index] = .done
                    default: reservations[index] = .inProgress
                    }
                }
                return reservations
            }
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        try await complete([key], retention: retention)
    }

    /// One round trip for the whole batch: each mark set done, each count dropped.
    public func complete(_ keys: [String], retention: Duration) async throws {
        guard !keys.isEmpty else { return }
        let retention = String(max(1, retention.microseconds / 1000))
        try await executor.run { [self] () throws in
            let replies = try link.runRetryingOnce { connection throws(FerryError) in
                try connection.pipeline(
                    keys.flatMap { [RedisCommand(["SET", mark($0), "done", "PX", retention]), RedisCommand(["DEL", count($0)])] })
            }
            for case .error(let message) in replies { throw refused("SET", message) }
        }
    }

    public func release(_ key: String) async throws {
        _ = try await run(["EVAL", Self.releaseScript, "1", mark(key)])
    }

    public func forget(_ key: String) async throws {
        _ = try await run(["EVAL", Self.forgetScript, "2", mark(key), count(key)])
    }

    /// Where a key's mark is kept.
    private func mark(_ key: String) -> String { "\(prefix):\(key)" }
    /// Where a key's attempts are counted.
    private func count(_ key: String) -> String { "\(prefix)#attempts:\(key)" }

    private func refused(_ command: String, _ message: String) -> FerryError {
        FerryError(.connectionFailed, "the idempotency store at \(endpoint.location) refused \(command): \(message)")
    }

    private func run(_ arguments: [String]) async throws -> RedisValue {
        try await executor.run { [self] () throws -> RedisValue in
            let reply = try link.runRetryingOnce { connection throws(FerryError) in try connection.command(arguments) }
            if case .error(let message) = reply { throw refused(arguments[0], message) }
            return reply
        }
    }
}
