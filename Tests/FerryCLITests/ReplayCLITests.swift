import FerryConformance
import Foundation
import Testing

/// `ferry replay` copies a window of one broker's history into another: the events published
/// between --from and --until, ids unchanged, marked with ferry-replay; the others stay out.
/// Serialized: its cases start ferry processes, and all at once they starve the suite's timing
/// tests on 2 cores.
@Suite(.serialized, .enabled(if: brokerURLs.count == 3, "needs the local brokers (scripts/test starts them)"))
struct ReplayCLITests {
    static let env = ProcessInfo.processInfo.environment

    /// A fresh destination on `broker` that keeps history (a stream queue on RabbitMQ) and one
    /// that keeps what arrives for a later reader (a named queue).
    static func endpoint(_ broker: String, _ label: String, history: Bool) -> String {
        let name = "ferry-replay-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let url = env[broker]!
        switch broker {
        case "FERRY_AMQP_URL": return "\(url)?exchange=\(name)&queue=\(name).log" + (history ? "&queue-type=stream" : "")
        default: return "\(url)/\(name)"
        }
    }

    static func publish(_ endpoint: String, _ count: Int, type: String) async throws -> [String] {
        let published = try await FerryProcess.run([
            "publish", endpoint, "--type", type, "--data", #"{"n":1}"#, "--count", String(count), "--key", "k", "--json",
        ])
        #expect(published.status == 0, "\(published.stderr)")
        return try published.stdout.split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String])["id"]!
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    @Test(arguments: [
        ("FERRY_KAFKA_URL", "FERRY_REDIS_URL"), ("FERRY_REDIS_URL", "FERRY_AMQP_URL"), ("FERRY_AMQP_URL", "FERRY_KAFKA_URL"),
    ])
    func replayCopiesAWindowIntoAnotherBroker(_ from: String, _ to: String) async throws {
        let source = Self.endpoint(from, "source", history: true)
        let sink = Self.endpoint(to, "sink", history: false)
        if to == "FERRY_AMQP_URL" {  // RabbitMQ keeps only what reaches a queue: declare it first
            _ = try await FerryProcess.run(["publish", sink, "--type", "warm-up", "--data", "0"])
            let drained = try await FerryProcess.run(["tail", sink, "--group", "g", "--count", "1", "--timeout", "30"])
            #expect(drained.status == 0, "\(drained.stderr)")
        }
        _ = try await Self.publish(source, 2, type: "before")
        // Times go to brokers in milliseconds (RabbitMQ: seconds, then Ferry reads event times).
        let start = Self.now()
        try await eventually(.seconds(1), "the clock moves on") { Self.now() > start }
        let window = try await Self.publish(source, 3, type: "inside")
        let until = Self.now()
        try await eventually(.seconds(1), "the clock moves on") { Self.now() > until }
        _ = try await Self.publish(source, 1, type: "after")

        let replay = try await FerryProcess.run(["replay", source, "--from", start, "--until", until, "--to", sink], timeout: 120)
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("replayed 3 event(s)"), "\(replay.stdout)")
        #expect(replay.stdout.contains("left out 1 at or after --until"), "\(replay.stdout)")

        let tailed = try await FerryProcess.run(
            ["tail", sink, "--group", "g", "--count", "3", "--timeout", "60", "--json"], timeout: 90)
        #expect(tailed.status == 0, "\(tailed.stderr)")
        let deliveries = try tailed.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let events = deliveries.compactMap { $0["event"] as? [String: Any] }
        #expect(events.compactMap { $0["id"] as? String } == window, "the window's events, in order, ids unchanged")
        #expect(events.allSatisfy { $0["type"] as? String == "inside" })
        #expect(deliveries.allSatisfy { ($0["headers"] as? [String: String])?["ferry-replay"] != nil }, "\(tailed.stdout)")
    }

    /// A replay slower than RabbitMQ's heartbeat timeout (here 8 events at 1 a second, with a
    /// 1 s heartbeat) keeps its connection to the stream: the reader sends heartbeats while the
    /// sink takes its time.
    @Test func aSlowReplayKeepsItsStreamConnection() async throws {
        let source = Self.endpoint("FERRY_AMQP_URL", "slow", history: true) + "&heartbeat=1"
        let sent = try await Self.publish(source, 8, type: "slow")
        let sink = "\(Self.env["FERRY_REDIS_URL"]!)/ferry-replay-slow-\(UUID().uuidString.prefix(8).lowercased())"
        let replay = try await FerryProcess.run(["replay", source, "--from-offset", "0", "--rate", "1", "--to", sink], timeout: 60)
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(replay.stdout.contains("replayed \(sent.count) event(s)"), "\(replay.stdout)\(replay.stderr)")
    }

    /// A RabbitMQ queue that is not a stream keeps no history: the replay says so and how to
    /// fix it, and publishes nothing.
    @Test func aQueueWithoutHistoryIsRefused() async throws {
        let source = Self.endpoint("FERRY_AMQP_URL", "classic", history: false)
        let replay = try await FerryProcess.run(["replay", source, "--from", "1h", "--to", "memory://x"])
        #expect(replay.status != 0)
        #expect(replay.stderr.contains("names no stream queue"), "\(replay.stderr)")
        #expect(replay.stderr.contains("queue-type=stream"), "\(replay.stderr)")
    }

    /// A time it cannot read, or no start or both at once, is a usage error (exit 64, EX_USAGE,
    /// as for every ferry command's arguments) before any connection.
    @Test(arguments: [["--from", "yesterday"], ["--from", "99999999999d"], ["--from", "1h", "--from-offset", "3"], []])
    func aStartItCannotReadIsAUsageError(_ start: [String]) async throws {
        let replay = try await FerryProcess.run(["replay", "memory://a"] + start + ["--to", "memory://b"])
        #expect(replay.status == 64, "\(replay.stderr)")
        #expect(replay.stderr.contains("--from"), "\(replay.stderr)")
    }
}
