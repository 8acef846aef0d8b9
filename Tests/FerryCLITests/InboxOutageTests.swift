import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import Inbox

/// The inbox on every broker: `example-inbox` applies deposits to PostgreSQL and SIGKILLs
/// itself right after the commit that first applies each, before the ack, and is started
/// again each time. With the inbox (the done mark in the deposit's transaction) each deposit is
/// applied once; without it, each is applied again. Its processes, started again and again,
/// run alone after the other tests (scripts/test), like every *OutageTests suite.
@Suite(.enabled(if: brokerURLs.count == 3 && postgresURL != nil, "needs the local brokers and PostgreSQL (scripts/test starts them)"))
struct InboxOutageTests {
    static let deposits = [2500, 1000, 700, 40]

    /// Where deposits come from on `broker`, named `name`.
    static func source(_ broker: String, _ name: String) throws -> Endpoint {
        let env = ProcessInfo.processInfo.environment
        switch broker {
        case "kafka": return try Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
        case "amqp": return try Endpoint("\(env["FERRY_AMQP_URL"]!)?queue=\(name)")
        default: return try Endpoint("\(env["FERRY_REDIS_URL"]!)/\(name)?claim-idle=1s")
        }
    }

    /// Runs the consumer until every deposit is in and settled; how often each was applied and
    /// how often the consumer died.
    func run(_ broker: String, inbox: Bool) async throws -> (applied: [Int], deaths: Int) {
        let name = "inbox_\(broker)_\(UUID().uuidString.prefix(8).lowercased())"
        let source = try Self.source(broker, name)
        let transports = Inbox.transports()
        let transport = try transports.transport(for: source)
        try await transport.provision(source, partitions: 1)
        let publisher = try await transport.makePublisher(for: source)
        _ = try await publisher.publish(try Self.deposits.map { try Event(Inbox.Deposit(account: "a-1", cents: $0), source: "/bank") })
        await publisher.close()
        let (client, running) = try Inbox.bank()
        defer { running.cancel() }
        try await Inbox.createTables(client, name)
        @Sendable func applied() async throws -> [String: Int] {
            var counts: [String: Int] = [:]
            for row in try await client.query("SELECT event FROM \(unescaped: name)_applied", logger: Logger(label: "test")).collect() {
                counts[try row.decode(String.self), default: 0] += 1
            }
            return counts
        }
        var deaths = 0
        let program = FerryProcess.built("example-inbox")
        let arguments =
            ["consume", source.description.replacingOccurrences(of: ":***@", with: ":guest@"), name] + (inbox ? [] : ["--no-inbox"])
        // Each run applies one deposit for the first time and dies before its ack.
        while try await applied().count < Self.deposits.count, deaths < 3 * Self.deposits.count {
            let consumer = try ChildProcess(program, arguments)
            let exited = Locked<Int32?>(nil)
            Task {
                let status = await consumer.exit()
                exited.withLock { $0 = status }
            }
            defer { consumer.kill() }
            try await eventually(.seconds(90), "the consumer dies after a commit (\(deaths) deaths so far)") {
                exited.withLock { $0 } != nil
            }
            #expect(exited.withLock { $0 } == 128 + SIGKILL, "it died by its own SIGKILL: \(consumer.stderr)")
            deaths += 1
        }
        // A last run takes the last deposit again, and settles everything.
        let last = try ChildProcess(program, arguments)
        defer { last.kill() }
        try await eventually(.seconds(90), "every deposit settled") {
            let settled = try await transport.lag(of: source, group: name).reduce(0) { $0 + $1.lag } == 0
            let count = try await applied().count
            return settled && count == Self.deposits.count
        }
        last.kill(SIGTERM)
        _ = await last.exit()
        return (try await applied().values.sorted(), deaths)
    }

    @Test(arguments: ["kafka", "amqp", "redis"])
    func aConsumerKilledBetweenCommitAndAckAppliesEachDepositOnce(_ broker: String) async throws {
        let (applied, deaths) = try await run(broker, inbox: true)
        #expect(applied == [1, 1, 1, 1], "each deposit applied once")
        #expect(deaths == Self.deposits.count, "killed after each first commit")
    }

    /// The control: the same crashes without the inbox apply every deposit again (twice, or
    /// more where a redelivery outlived its reservation).
    @Test func withoutTheInboxEachDepositIsAppliedAgain() async throws {
        let (applied, _) = try await run("redis", inbox: false)
        #expect(applied.count == Self.deposits.count && applied.allSatisfy { $0 >= 2 }, "\(applied)")
    }
}
