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

    /// Reserve atomically, each key in turn (KEYS: mark and count of each): take a free key and
    /// count the attempt, or say whether it is done or still reserved. Anything else under the
    /// keys (another value, another type: not Ferry's writing) counts as free, so that it cannot
    /// hold an event back for good.
    private static let reserveScript = """
        local replies = {}
        for i = 1, #KEYS, 2 do
            local mark, count = KEYS[i], KEYS[i + 1]
            local kind = redis.call('TYPE', mark).ok
            if kind ~= 'string' and kind ~= 'none' then redis.call('DEL', mark) end
            local held = redis.call('GET', mark)
            if held == 'done' or held == 'reserved' then
                replies[#replies + 1] = held
            else
                redis.call('SET', mark, 'reserved', 'PX', ARGV[1])
                local attempts = redis.pcall('INCR', count)
                if type(attempts) ~= 'number' then
                    redis.call('DEL', count)
                    attempts = redis.call('INCR', count)
                end
                redis.call('PEXPIRE', count, 86400000)
                replies[#replies + 1] = attempts
            end
        end
        return replies
        """
    private static let completeScript = """
        for i = 1, #KEYS, 2 do
            redis.call('SET', KEYS[i], 'done', 'PX', ARGV[1])
            redis.call('DEL', KEYS[i + 1])
        end
        return #KEYS / 2
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

    /// One script for the whole batch: one round trip.
    public func reserve(_ keys: [String], for ttl: Duration) async throws -> [IdempotencyReservation] {
        guard !keys.isEmpty else { return [] }
        let reply = try await run(
            ["EVAL", Self.reserveScript, String(2 * keys.count)] + keys.flatMap(self.keys) + [String(max(1, ttl.microseconds / 1000))])
        guard let replies = reply.array, replies.count == keys.count else {
            throw FerryError(.connectionFailed, "the idempotency store at \(endpoint.location) gave an unexpected reply to a reservation")
        }
        return replies.map { reply in
            switch reply {
            case .integer(let attempts): .acquired(attempt: attempts)
            case _ where reply.text == "done": .done
            default: .inProgress
            }
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        try await complete([key], retention: retention)
    }

    /// One script for the whole batch: one round trip.
    public func complete(_ keys: [String], retention: Duration) async throws {
        guard !keys.isEmpty else { return }
        _ = try await run(
            ["EVAL", Self.completeScript, String(2 * keys.count)] + keys.flatMap(self.keys)
                + [String(max(1, retention.microseconds / 1000))])
    }

    public func release(_ key: String) async throws {
        _ = try await run(["EVAL", Self.releaseScript, "1", "\(prefix):\(key)"])
    }

    public func forget(_ key: String) async throws {
        _ = try await run(["EVAL", Self.forgetScript, "2"] + keys(key))
    }

    /// The key's mark and its attempt count.
    private func keys(_ key: String) -> [String] { ["\(prefix):\(key)", "\(prefix)#attempts:\(key)"] }

    private func run(_ arguments: [String]) async throws -> RedisValue {
        try await executor.run { [self] () throws -> RedisValue in
            let reply = try link.runRetryingOnce { connection throws(FerryError) in try connection.command(arguments) }
            if case .error(let message) = reply {
                throw FerryError(.connectionFailed, "the idempotency store at \(endpoint.location) refused \(arguments[0]): \(message)")
            }
            return reply
        }
    }
}
