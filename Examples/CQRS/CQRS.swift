import Ferry
import FerryKafka
import Foundation
import GRDB
import Logging

/// CQRS: a write model (accounts in SQLite) takes commands and publishes what changed as events
/// on Kafka; a projection reads them into a read model of its own (a SQLite table shaped for
/// the question "who holds what, and how busy is each account"). The read model is then thrown
/// away and rebuilt from scratch by replaying the stream: the same rows come back. Run against
/// the local brokers: `scripts/example cqrs`.
@main
enum CQRS {
    struct AccountOpened: EventPayload {
        static let eventType = "bank.account.opened"
        var account: String, owner: String
    }
    struct MoneyDeposited: EventPayload {
        static let eventType = "bank.money.deposited"
        var account: String, cents: Int
    }
    struct MoneyWithdrawn: EventPayload {
        static let eventType = "bank.money.withdrawn"
        var account: String, cents: Int
    }

    static func main() async {
        do {
            try await run()
        } catch {
            say("\(CommandLine.arguments[0].split(separator: "/").last ?? ""): \(error)")
            exit(1)
        }
    }

    static func run() async throws {
        let kafka = ProcessInfo.processInfo.environment["FERRY_KAFKA_URL"] ?? "kafka://127.0.0.1:9092"
        let tag = UUID().uuidString.prefix(8).lowercased()
        let stream = try Endpoint("\(kafka)/example-bank-\(tag)")
        var logger = Logger(label: "cqrs")
        logger.logLevel = .warning
        let transport = KafkaTransport(logger: logger)
        try await transport.provision(stream, partitions: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cqrs-\(tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        // The write model: it checks each command against the accounts' state, commits, then
        // publishes the change (the outbox that makes the two one step is issue 16).
        let accounts = try DatabaseQueue(path: folder.appendingPathComponent("accounts.db").path)
        try await accounts.write { db in
            try db.execute(sql: "CREATE TABLE accounts (id TEXT PRIMARY KEY, owner TEXT NOT NULL, cents INTEGER NOT NULL)")
        }
        let publisher = try await transport.makePublisher(for: stream)
        func handle(_ event: Event, _ change: @escaping @Sendable (Database) throws -> Void) async throws {
            try await accounts.write(change)
            _ = try await publisher.publish(event)
        }
        for (account, owner) in [("a-1", "Ada"), ("a-2", "Grace"), ("a-3", "Edsger")] {
            try await handle(try Event(AccountOpened(account: account, owner: owner), source: "/bank", partitionkey: account)) { db in
                try db.execute(sql: "INSERT INTO accounts VALUES (?, ?, 0)", arguments: [account, owner])
            }
        }
        for (account, cents) in [("a-1", 10_000), ("a-2", 2_500), ("a-1", -4_000), ("a-3", 700), ("a-2", -500), ("a-1", 250)] {
            let event =
                cents > 0
                ? try Event(MoneyDeposited(account: account, cents: cents), source: "/bank", partitionkey: account)
                : try Event(MoneyWithdrawn(account: account, cents: -cents), source: "/bank", partitionkey: account)
            try await handle(event) { db in
                try db.execute(sql: "UPDATE accounts SET cents = cents + ? WHERE id = ?", arguments: [cents, account])
            }
        }
        await publisher.close()
        say("write model: 3 accounts opened, 6 movements committed and published to Kafka")

        // The read side: a projection per group, into a database of its own.
        func project(into path: String, group: String) async throws -> [String] {
            let view = try DatabaseQueue(path: path)
            try await view.write { db in
                try db.execute(
                    sql: "CREATE TABLE IF NOT EXISTS holdings (account TEXT PRIMARY KEY, owner TEXT, cents INTEGER, movements INTEGER)")
            }
            let subscription = try await transport.subscribe(to: stream, options: SubscribeOptions(group: group))
            let consumer = Consumer(
                subscription: subscription, options: ConsumerOptions(idempotency: MemoryIdempotencyStore()), logger: logger
            ) {
                delivery in
                let event = delivery.event
                try await view.write { db in
                    switch event.type {
                    case AccountOpened.eventType:
                        let opened = try event.decode(AccountOpened.self)
                        try db.execute(sql: "INSERT INTO holdings VALUES (?, ?, 0, 0)", arguments: [opened.account, opened.owner])
                    case MoneyDeposited.eventType:
                        let deposit = try event.decode(MoneyDeposited.self)
                        try db.execute(
                            sql: "UPDATE holdings SET cents = cents + ?, movements = movements + 1 WHERE account = ?",
                            arguments: [deposit.cents, deposit.account])
                    case MoneyWithdrawn.eventType:
                        let withdrawal = try event.decode(MoneyWithdrawn.self)
                        try db.execute(
                            sql: "UPDATE holdings SET cents = cents - ?, movements = movements + 1 WHERE account = ?",
                            arguments: [withdrawal.cents, withdrawal.account])
                    default: break
                    }
                }
            }
            let running = Task { try await consumer.run() }
            defer { running.cancel() }
            let deadline = ContinuousClock.now + .seconds(90)
            while try await view.read({ try Int.fetchOne($0, sql: "SELECT SUM(movements) FROM holdings") ?? 0 }) < 6 {
                guard ContinuousClock.now < deadline else { throw FerryError(.timeout, "the projection did not catch up in 90 s") }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try await view.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM holdings ORDER BY account").map {
                    "\($0["account"] as String) \($0["owner"] as String): \($0["cents"] as Int) cents after \($0["movements"] as Int) movements"
                }
            }
        }
        let first = try await project(into: folder.appendingPathComponent("view-1.db").path, group: "view-1-\(tag)")
        for line in first { say("read model: \(line)") }

        // Thrown away and rebuilt: a new projection replays the stream from its start.
        let rebuilt = try await project(into: folder.appendingPathComponent("view-2.db").path, group: "view-2-\(tag)")
        say(
            rebuilt == first
                ? "rebuilt from scratch by replaying the stream: the same \(rebuilt.count) rows" : "rebuilt read model differs!")
        let written = try await accounts.read { db in
            try Row.fetchAll(db, sql: "SELECT id, cents FROM accounts ORDER BY id").map { "\($0["id"] as String)=\($0["cents"] as Int)" }
        }
        say("write model balances: \(written.joined(separator: ", "))")
        await transport.shutdown()
        if rebuilt != first { exit(1) }
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
