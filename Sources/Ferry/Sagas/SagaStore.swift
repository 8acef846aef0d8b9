/// Where saga instances are kept between inputs and across restarts: memory, SQLite or Redis,
/// chosen by the same URLs as the idempotency stores. Every write names the version it read,
/// so that of two processes handling one instance at once only one succeeds; the other reads
/// again and finds its input applied or applies it to the newer state.
public protocol SagaStore: Sendable {
    func load(saga: String, id: String) async throws -> SagaRecord?
    /// Writes `record` (its `version` one more than `expected`) if the stored version is still
    /// `expected` (0: no record yet); false when another write came first.
    func save(_ record: SagaRecord, expected: Int) async throws -> Bool
    /// Instances of `saga`, the most recently updated first, at most `limit`.
    func list(saga: String, limit: Int) async throws -> [SagaRecord]
    /// The names of the sagas with instances here, sorted.
    func sagas() async throws -> [String]
}
