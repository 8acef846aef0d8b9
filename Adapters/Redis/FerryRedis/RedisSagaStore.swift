import Ferry
import Foundation

/// Saga instances in Redis, shared by every process of a saga:
/// `redis://[user:password@]host:port/prefix`. One hash per instance,
/// `<prefix>:saga:<saga>:<id>` (`version`, `record`), written by a script only where the
/// version is the one read; `<prefix>:sagas:<saga>` orders the instances by update time, and
/// `<prefix>:saga-names` holds the sagas' names.
public final class RedisSagaStore: SagaStore {
    private let connection: RedisStoreConnection
    private let prefix: String

    /// KEYS: the instance, the index, the names; ARGV: expected version, new version, record,
    /// updated, id, saga.
    private static let saveScript = """
        local held = redis.call('HGET', KEYS[1], 'version')
        if (held or '0') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3])
        redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
        redis.call('SADD', KEYS[3], ARGV[6])
        return 1
        """

    public init(_ url: String) throws {
        let endpoint = try RedisEndpoint(try Endpoint(url))
        connection = RedisStoreConnection(endpoint, what: "saga store")
        prefix = endpoint.stream
    }

    public func load(saga: String, id: String) async throws -> SagaRecord? {
        guard case .string(let bytes) = try await connection.run(["HGET", instance(saga, id), "record"]) else { return nil }
        return try Self.decode(bytes)
    }

    public func save(_ record: SagaRecord, expected: Int) async throws -> Bool {
        var command = RedisCommand(["EVAL", Self.saveScript, "3", instance(record.saga, record.id), index(record.saga), names])
        command.append(String(expected))
        command.append(String(record.version))
        command.append(try JSONEncoder().encode(record))
        command.append(String(record.updatedMicros))
        command.append(record.id)
        command.append(record.saga)
        return try await connection.run(command, named: "EVAL").integer == 1
    }

    public func list(saga: String, limit: Int) async throws -> [SagaRecord] {
        guard limit > 0 else { return [] }
        let ids = try await connection.run(["ZREVRANGE", index(saga), "0", String(limit - 1)]).array?.compactMap(\.text) ?? []
        var records: [SagaRecord] = []
        for id in ids {
            if let record = try await load(saga: saga, id: id) { records.append(record) }
        }
        return records
    }

    public func sagas() async throws -> [String] {
        (try await connection.run(["SMEMBERS", names]).array?.compactMap(\.text) ?? []).sorted()
    }

    private var names: String { "\(prefix):saga-names" }
    private func instance(_ saga: String, _ id: String) -> String { "\(prefix):saga:\(saga):\(id)" }
    private func index(_ saga: String) -> String { "\(prefix):sagas:\(saga)" }

    private static func decode(_ bytes: Data) throws -> SagaRecord {
        do {
            return try JSONDecoder().decode(SagaRecord.self, from: bytes)
        } catch {
            throw FerryError(.malformedEnvelope, "a saga record in the Redis store does not decode: \(error)")
        }
    }
}
