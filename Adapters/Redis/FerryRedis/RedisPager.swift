import Ferry

/// Pages of a stream (XRANGE) over one connection, for the reads without a group (`browse`,
/// `history`): a replay of a million entries is 5,000 pages, not 5,000 connections.
final class RedisPager: @unchecked Sendable {
    // @unchecked: used only on the transport's admin executor, one page at a time.
    private let redis: RedisEndpoint
    private var connection: RedisConnection?

    init(_ redis: RedisEndpoint) { self.redis = redis }

    /// Up to 200 entries from `start` to `end` (XRANGE bounds). A connection that failed is
    /// opened again for the next page.
    func page(from start: String, to end: String) throws(FerryError) -> [RedisEntry] {
        do throws(FerryError) {
            let connection: RedisConnection
            if let open = self.connection {
                connection = open
            } else {
                connection = try RedisConnection(redis)
                self.connection = connection
            }
            return RedisEntry.list(try connection.command(["XRANGE", redis.stream, start, end, "COUNT", "200"]))
        } catch {
            connection = nil
            throw error
        }
    }
}
