import ArgumentParser
import Ferry
import FerryRedis
import FerrySQLite
import Foundation

/// Idempotency stores by URL, as configuration names them:
/// `memory://?capacity=N`, `sqlite:///path/file.db`, `redis://[user:password@]host:port/prefix`.
enum IdempotencyStores {
    static func make(_ url: String) throws -> any IdempotencyStore {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard path.hasPrefix("/") else {
                throw ValidationError("idempotency store '\(url)': write sqlite:///absolute/path.db")
            }
            return try SQLiteIdempotencyStore(path: path)
        }
        if url.hasPrefix("memory://") {
            let capacity = try Endpoint("memory://store" + (url.firstIndex(of: "?").map { String(url[$0...]) } ?? ""))
                .integer("capacity", default: 100_000, in: 1...100_000_000)!
            return MemoryIdempotencyStore(capacity: capacity)
        }
        if url.hasPrefix("redis://") { return try RedisIdempotencyStore(url) }
        throw ValidationError("idempotency store '\(Endpoint.redacted(url))' is not memory://, sqlite:/// or redis://")
    }
}
