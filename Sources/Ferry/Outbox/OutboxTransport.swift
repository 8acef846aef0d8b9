import Foundation
import Logging

/// A database's outbox tables as a transport: `postgres://…/db?table=ferry_outbox` or
/// `sqlite:///path.db?table=ferry_outbox`. Subscribing reads the table (`OutboxSource`: the
/// relay's source); publishing inserts rows in a transaction of its own (a service writes them
/// in its own transaction instead, with `PostgresOutbox` or `SQLiteOutbox`). Dead letters go
/// to the table `<table>_dlq` beside it; lag is the rows waiting.
public final class OutboxTransport: Transport {
    public let schemes: [String]
    private let open: @Sendable (Endpoint) throws -> any OutboxTable
    private let tables = Locked<[Endpoint: any OutboxTable]>([:])
    private let logger: Logger

    /// `open`: the table an endpoint names (its database connection).
    package init(schemes: [String], logger: Logger, open: @escaping @Sendable (Endpoint) throws -> any OutboxTable) {
        self.schemes = schemes
        self.logger = logger
        self.open = open
    }

    /// The endpoint's table, opened once (one pool of connections per database and table).
    private func table(_ endpoint: Endpoint) throws -> any OutboxTable {
        try tables.withLock { tables in
            if let table = tables[endpoint] { return table }
            let table = try open(endpoint)
            tables[endpoint] = table
            return table
        }
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher {
        let table = try table(endpoint)
        try await table.create()
        return OutboxPublisher(table: table)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        switch options.start {
        case .earliest, .latest: break
        case .time, .offset:
            throw options.start.refused(
                by: "outbox \(endpoint)", remedy: "its rows are deleted once sent: replay from the broker the relay sends them to")
        }
        let table = try table(endpoint)
        try await table.create()
        let source = OutboxSource(table: table, options: options, logger: logger)
        return Subscription(endpoint: endpoint, options: options, source: source, transport: self, logger: logger)
    }

    public func provision(_ endpoint: Endpoint, partitions: Int) async throws {
        try await table(endpoint).create()
    }

    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint {
        endpoint.with(query: ["table": (endpoint.query["table"] ?? Self.defaultTable) + "_dlq"])
    }

    /// The rows waiting (one outbox has one reader at a time: the group does not matter).
    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] {
        let table = try table(endpoint)
        return [LagEntry(scope: endpoint.query["table"] ?? Self.defaultTable, lag: try await table.count())]
    }

    public func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute {
        throw unsupported("replies")
    }

    public func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint {
        throw unsupported("replies")
    }

    public func shutdown() async {}

    /// The table an outbox URL names when it says none.
    package static let defaultTable = "ferry_outbox"

    private func unsupported(_ what: String) -> FerryError {
        FerryError(
            .unsupported, "an outbox table carries events to a relay; it has no \(what)",
            remedy: "send commands over Kafka, RabbitMQ or Redis")
    }
}

/// Inserts events into an outbox table, a batch in one transaction.
struct OutboxPublisher: Publisher {
    let table: any OutboxTable

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        var rows: [OutboxRow.New] = []
        var refused: [FerryError?] = []
        for event in events {
            do throws(FerryError) {
                rows.append(try OutboxRow.New(event))
                refused.append(nil)
            } catch {
                refused.append(error)
            }
        }
        return await insert(rows, ids: events.map(\.id), refused: refused)
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await insert(messages.map(OutboxRow.New.init(raw:)), ids: messages.map { _ in "" }, refused: messages.map { _ in nil })
    }

    /// Inserts `rows` in one transaction; one result per entry of `refused` (the rows stand for
    /// those without an error, in order).
    private func insert(_ rows: [OutboxRow.New], ids: [String], refused: [FerryError?]) async -> [Result<Receipt, FerryError>] {
        let inserted: Result<[Int64], FerryError>
        do {
            inserted = .success(try await table.insert(rows))
        } catch {
            inserted = .failure(
                error as? FerryError ?? FerryError(.publishFailed, "the outbox at \(table.location) refused the rows: \(error)"))
        }
        var rowIDs = ((try? inserted.get()) ?? []).makeIterator()
        return zip(ids, refused).map { eventID, error in
            if let error { return .failure(error) }
            switch inserted {
            case .failure(let error): return .failure(error)
            case .success:
                let id = rowIDs.next() ?? 0
                return .success(Receipt(eventID: eventID, position: Position(destination: table.location, offset: String(id))))
            }
        }
    }

    func close() async {}
}
