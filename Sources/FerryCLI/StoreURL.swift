import ArgumentParser
import Ferry
import FerryPostgres
import FerryRedis
import FerrySQLite
import Foundation

/// Stores by URL, as configuration and the command line name them: `memory://?capacity=N`,
/// `sqlite:///path/file.db`, `redis://[user:password@]host:port/prefix`,
/// `postgres://user:password@host:5432/database`. The idempotency store and the saga store of
/// one URL live side by side (a table, or keys, of their own).
enum StoreURL {
    case memory(capacity: Int)
    case sqlite(path: String)
    case redis(String)
    case postgres(String)

    init(_ url: String, for what: String) throws {
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard path.hasPrefix("/") else { throw ValidationError("\(what) '\(url)': write sqlite:///absolute/path.db") }
            self = .sqlite(path: path)
        } else if url.hasPrefix("memory://") {
            self = .memory(
                capacity: try Endpoint("memory://store" + (url.firstIndex(of: "?").map { String(url[$0...]) } ?? ""))
                    .integer("capacity", default: 100_000, in: 1...100_000_000)!)
        } else if url.hasPrefix("redis://") {
            self = .redis(url)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url)
        } else {
            throw ValidationError("\(what) '\(Endpoint.redacted(url))' is not memory://, sqlite:///, redis:// or postgres://")
        }
    }
}

enum IdempotencyStores {
    static func make(_ url: String) throws -> any IdempotencyStore {
        switch try StoreURL(url, for: "idempotency store") {
        case .memory(let capacity): MemoryIdempotencyStore(capacity: capacity)
        case .sqlite(let path): try SQLiteIdempotencyStore(path: path)
        case .redis(let url): try RedisIdempotencyStore(url)
        case .postgres(let url): try PostgresIdempotencyStore(url)
        }
    }
}

enum SagaStores {
    static func make(_ url: String) throws -> any SagaStore {
        switch try StoreURL(url, for: "saga store") {
        case .memory: MemorySagaStore()
        case .sqlite(let path): try SQLiteSagaStore(path: path)
        case .redis(let url): try RedisSagaStore(url)
        case .postgres(let url): try PostgresSagaStore(url)
        }
    }
}
