import Foundation

/// An outbox table in one database, as `OutboxSource` and `OutboxTransport` use it. Each
/// database (PostgreSQL, SQLite) implements it; the reading, leasing and settling logic that
/// they share lives in the core.
///
/// A row is an event (structured CloudEvents JSON) with an id that orders the table, the time
/// it is due (a retried row waits), its attempt, and headers (a dead letter's record).
package protocol OutboxTable: Sendable {
    /// Where it is, for errors and logs: no password.
    var location: String { get }
    /// Creates the table (and its dead-letter table) where missing.
    func create() async throws
    /// Whether this reader holds the outbox's lease now, taking or renewing it: one reader at
    /// a time drains an outbox, so rows leave in their order. False: another reader holds it.
    func lead(as reader: String) async throws -> Bool
    /// Gives the lease up (a graceful shutdown), so another reader takes over at once.
    func resign(as reader: String) async
    /// Up to `limit` rows due now, oldest first, none of `excluding`.
    func due(limit: Int, excluding: [Int64], now: Int64) async throws -> [OutboxRow]
    /// Waits until rows may have been added (a notification to the lease holder `reader`) or
    /// `limit` passed.
    func waitForRows(upTo limit: Duration, as reader: String) async
    func insert(_ rows: [OutboxRow.New]) async throws -> [Int64]
    func delete(_ ids: [Int64]) async throws
    /// Makes the row due again at `due` as attempt `attempt`.
    func postpone(_ id: Int64, until due: Int64, attempt: Int, firstFailureMicros: Int64) async throws
    /// Moves the row to the dead-letter table with `headers`, in one transaction.
    func deadLetter(_ id: Int64, headers: [String: String]) async throws
    /// Rows waiting: the outbox's lag.
    func count() async throws -> Int
}

/// One row of an outbox table.
package struct OutboxRow: Sendable {
    package var id: Int64
    package var body: Data
    package var headers: [String: String]
    package var attempt: Int
    package var firstFailureMicros: Int64?

    package init(id: Int64, body: Data, headers: [String: String], attempt: Int, firstFailureMicros: Int64?) {
        self.id = id
        self.body = body
        self.headers = headers
        self.attempt = attempt
        self.firstFailureMicros = firstFailureMicros
    }

    /// A row to insert: the event as structured JSON, its partition key, its headers.
    package struct New: Sendable {
        package var body: Data
        package var partitionKey: String?
        package var headers: [String: String]

        package init(_ event: Event) throws(FerryError) {
            body = try StructuredFormat.encode(event)
            partitionKey = event.partitionkey
            headers = event.headers
        }

        /// A row as given (tools and tests: what a reader makes of a row that is no event).
        package init(raw message: RawMessage) {
            body = message.body
            partitionKey = message.key
            headers = message.headers
        }

        package var headersJSON: String { OutboxRow.json(headers) }
    }

    /// Headers as the tables keep them: a JSON object of strings.
    package static func json(_ headers: [String: String]) -> String {
        guard !headers.isEmpty, let data = try? JSONEncoder().encode(headers) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Headers read back; anything but a JSON object of strings is none.
    package static func headers(_ text: String?) -> [String: String] {
        guard let text, let headers = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return headers
    }
}
