/// Saga instances in this process: for tests and the demo (they die with the process).
public final class MemorySagaStore: SagaStore {
    private let records = Locked<[String: SagaRecord]>([:])

    public init() {}

    public func load(saga: String, id: String) async throws -> SagaRecord? {
        records.withLock { $0[Self.key(saga, id)] }
    }

    public func save(_ record: SagaRecord, expected: Int) async throws -> Bool {
        records.withLock { records in
            guard (records[Self.key(record.saga, record.id)]?.version ?? 0) == expected else { return false }
            records[Self.key(record.saga, record.id)] = record
            return true
        }
    }

    public func list(saga: String, limit: Int) async throws -> [SagaRecord] {
        let all = records.withLock { $0.values.filter { $0.saga == saga } }
        return Array(all.sorted { $0.updatedMicros > $1.updatedMicros }.prefix(max(0, limit)))
    }

    public func sagas() async throws -> [String] {
        Set(records.withLock { $0.values.map(\.saga) }).sorted()
    }

    private static func key(_ saga: String, _ id: String) -> String { "\(saga)\u{0}\(id)" }
}
