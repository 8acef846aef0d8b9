import Ferry

/// Pages of a stream (XRANGE) over one connection, for the reads without a group (`browse`,
/// `history`): a replay of a million entries is 5,000 pages, not 5,000 connections.
final class RedisPager: @unchecked Sendable {
    // @unchecked: used only on the transport's admin executor, one page at a time.
    private let redis: RedisEndpoint
    private var connection: RedisConnection?

    init(_ redis: RedisEndpoint) { self.redis = redis }

    /// Up to 200 entries from `start` to `end` (XRANGE bounds). A kept connection that fails
    /// (closed while the caller handled the last page slowly) is replaced once.
    func page(from start: String, to end: String) throws(FerryError) -> [RedisEntry] {
        let command = ["XRANGE", redis.stream, start, end, "COUNT", "200"]
        if let kept = connection {
            do {
                return try kept.entries(command)
            } catch {
                connection = nil
            }
        }
        let fresh = try RedisConnection(redis)
        let entries = try fresh.entries(command)
        connection = fresh
        return entries
    }
}
