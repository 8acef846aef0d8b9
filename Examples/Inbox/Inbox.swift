import Ferry
import FerryKafka
import FerryPostgres
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging
import PostgresNIO

/// Exactly-once effects for a handler that writes to PostgreSQL (an inbox): each deposit is
/// added to an account balance in the same transaction that marks its event done in the
/// consumer's idempotency store, so a consumer that dies after the commit and before the ack
/// does not add it twice when the deposit comes again.
///
/// `example-inbox consume <broker URL> <name>` consumes deposits into the tables `<name>_…`,
/// dying right after the commit that first applies each (`InboxOutageTests` starts it again
/// until every deposit is in); `--no-inbox` marks events done only after the handler, as a plain `Consumer` does,
/// which shows the double effect the inbox prevents.
@main
enum Inbox {
    struct Deposit: EventPayload {
        static let eventType = "bank.deposit"
        var account: String
        var cents: Int
    }

    static func main() async {
        do {
            let arguments = CommandLine.arguments
            guard arguments.count >= 4, arguments[1] == "consume" else {
                say("usage: example-inbox consume <broker URL> <name> [--no-inbox]")
                exit(64)
            }
            try await consume(from: try Endpoint(arguments[2]), name: arguments[3], inbox: !arguments.contains("--no-inbox"))
        } catch {
            say("example-inbox: \(error)")
            exit(1)
        }
    }

    static var postgresURL: String {
        ProcessInfo.processInfo.environment["FERRY_POSTGRES_URL"] ?? "postgres://ferry:ferry@127.0.0.1:5432/ferry?sslmode=disable"
    }

    /// A client for the bank's own tables, and its background task.
    static func bank() throws -> (PostgresClient, Task<Void, Never>) {
        let url = try Endpoint(postgresURL)
        let client = PostgresClient(
            configuration: .init(
                host: url.hosts[0].name, port: url.hosts[0].port ?? 5432, username: url.user ?? "postgres", password: url.password,
                database: url.path, tls: url.query["sslmode"] == "disable" ? .disable : .prefer(.makeClientConfiguration())),
            backgroundLogger: Logger(label: "bank"))
        return (client, Task { await client.run() })
    }

    static func createTables(_ client: PostgresClient, _ name: String) async throws {
        let logger = Logger(label: "bank")
        try await client.query(
            "CREATE TABLE IF NOT EXISTS \(unescaped: name)_balances (account TEXT PRIMARY KEY, cents BIGINT NOT NULL)", logger: logger)
        try await client.query(
            "CREATE TABLE IF NOT EXISTS \(unescaped: name)_applied (event TEXT NOT NULL, cents BIGINT NOT NULL)", logger: logger)
    }

    static func transports() -> Transports {
        var quiet = Logger(label: "inbox")
        quiet.logLevel = .critical
        return Transports([KafkaTransport(logger: quiet), RabbitMQTransport(logger: quiet), RedisTransport(logger: quiet)])
    }

    /// Applies deposits from `source`; dies right after the commit that first applies each one.
    static func consume(from source: Endpoint, name: String, inbox: Bool) async throws {
        let (client, running) = try bank()
        defer { running.cancel() }
        try await createTables(client, name)
        let store = try PostgresIdempotencyStore(postgresURL + "&table=\(name)_keys")
        let subscription = try await transports().subscribe(to: source, options: SubscribeOptions(group: name))
        // A short reservation: without the inbox, a deposit whose consumer died is taken again soon.
        let options = ConsumerOptions(idempotency: store, reservation: .seconds(2))
        let consumer = Consumer(subscription: subscription, options: options, logger: Logger(label: "inbox")) { delivery in
            let deposit = try delivery.event.decode(Deposit.self)
            let logger = Logger(label: "bank")
            let first = try await client.withTransaction(logger: logger) { connection in
                let before = try await connection.query(
                    "SELECT count(*) FROM \(unescaped: name)_applied WHERE event = \(delivery.event.id)", logger: logger
                ).collect().first?.decode(Int64.self)
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: name)_balances VALUES (\(deposit.account), \(Int64(deposit.cents)))
                    ON CONFLICT (account) DO UPDATE SET cents = \(unescaped: name)_balances.cents + excluded.cents
                    """, logger: logger)
                try await connection.query(
                    "INSERT INTO \(unescaped: name)_applied VALUES (\(delivery.event.id), \(Int64(deposit.cents)))", logger: logger)
                if inbox { try await store.complete(delivery, on: connection) }
                return before == 0
            }
            say("applied \(delivery.event.id) (\(deposit.cents) cents to \(deposit.account)), attempt \(delivery.attempt)")
            if first {
                say("dying before the ack")
                kill(getpid(), SIGKILL)
            }
        }
        try await consumer.run()
    }

    @Sendable static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
