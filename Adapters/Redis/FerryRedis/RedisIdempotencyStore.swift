import Ferry
import Foundation

/// An idempotency store in Redis, shared by every process that points at it (scale-out relays
/// and consumers) and kept across their restarts: `redis://[user:password@]host:port/prefix`.
/// Keys are `<prefix>:<key>` holding `reserved` (expiring with the reservation) or `done`
/// (expiring after the retention window).
public final class RedisIdempotencyStore: IdempotencyStore, @unchecked Sendable {
    // @unchecked: `connection` is only touched on `executor`.
    private let endpoint: RedisEndpoint
    private let prefix: String
    private let executor = BlockingExecutor(label: "ferry.redis.idempotency")
    private var connection: RedisConnection?

    /// Reserve atomically: take a free key, or say whether it is done or still reserved.
    private static let reserveScript = """
        if redis.call('SET', KEYS[1], 'reserved', 'NX', 'PX', ARGV[1]) then return 'acquired' end
        return redis.call('GET', KEYS[1]) or 'gone'
        """
    /// Release only a reservation, never a done mark.
    private static let releaseScript = """
        if redis.call('GET', KEYS[1]) == 'reserved' then return redis.call('DEL', KEYS[1]) end
        return 0
        """

    public init(_ url: String) throws {
        endpoint = try RedisEndpoint(try Endpoint(url))
        prefix = endpoint.stream
    }

    public func reserve(_ key: String, for ttl: Duration) async throws -> IdempotencyReservation {
        while true {
            let reply = try await run(["EVAL", Self.reserveScript, "1", "\(prefix):\(key)", String(max(1, ttl.microseconds / 1000))])
            switch reply.text {
            case "acquired": return .acquired
            case "done": return .done
            case "reserved": return .inProgress
            default: continue  // expired between SET and GET: try again
            }
        }
    }

    public func complete(_ key: String, retention: Duration) async throws {
        _ = try await run(["SET", "\(prefix):\(key)", "done", "PX", String(max(1, retention.microseconds / 1000))])
    }

    public func release(_ key: String) async throws {
        _ = try await run(["EVAL", Self.releaseScript, "1", "\(prefix):\(key)"])
    }

    private func run(_ arguments: [String]) async throws -> RedisValue {
        try await executor.run { [self] () throws -> RedisValue in
            for attempt in 1...2 {
                do throws(FerryError) {
                    if connection?.isOpen != true { connection = try RedisConnection(endpoint) }
                    let reply = try connection!.command(arguments)
                    if case .error(let message) = reply {
                        throw FerryError(.connectionFailed, "the idempotency store at \(endpoint.location) refused \(arguments[0]): \(message)")
                    }
                    return reply
                } catch {
                    connection = nil
                    if attempt == 2 || !error.isRetriable { throw error }
                }
            }
            return .null
        }
    }
}
