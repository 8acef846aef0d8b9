import Ferry
import FerryConformance
import Foundation
import Testing

@Suite struct CLITests {
    @Test func helpListsTheSubcommands() async throws {
        let result = try await FerryProcess.run(["--help"])
        #expect(result.status == 0)
        for command in ["publish", "tail", "demo"] {
            #expect(result.stdout.contains("  \(command) "), "\(command) missing from:\n\(result.stdout)")
        }
    }

    @Test func demoShowsWhatHappenedToEachEvent() async throws {
        let result = try await FerryProcess.run(["demo"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("published com.example.order.placed") }.count == 5)
        #expect(lines.filter { $0.hasPrefix("billed ") }.count == 4)
        #expect(lines.contains { $0.hasPrefix("retrying o-4 (attempt 1") })
        #expect(lines.contains { $0.hasPrefix("billed o-4 (attempt 2") })
        #expect(lines.contains { $0.hasPrefix("dead-lettered o-3") })
        #expect(lines.contains { $0.hasPrefix("dead letter in memory://orders.dlq: o-3 reason=handler attempts=1") })
        #expect(lines.last == "lag of group billing: 0")
    }

    @Test func publishPrintsAReceiptPerEvent() async throws {
        let result = try await FerryProcess.run([
            "publish", "memory://orders", "--type", "t", "--data", #"{"a":1}"#, "--count", "3", "--key", "k",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let receipts = result.stdout.split(separator: "\n").filter { $0.hasPrefix("published ") }
        #expect(receipts.count == 3)
        #expect(receipts.last?.hasSuffix("@2") == true, "same key, same partition, offsets 0...2: \(receipts)")
    }

    @Test func badDataIsRefusedBeforeAnythingIsSent() async throws {
        let result = try await FerryProcess.run(["publish", "memory://orders", "--type", "t", "--data", "{not json"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("not valid JSON"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownSchemesNameTheKnownOnes() async throws {
        let result = try await FerryProcess.run(["publish", "nats://user:hunter2@host/x", "--type", "t"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no transport for 'nats://'"), "\(result.stderr)")
        #expect(result.stderr.contains("kafka://"))
        #expect(!result.stderr.contains("hunter2"), "the password leaked: \(result.stderr)")
    }

    @Test func tailGivesUpAfterItsTimeout() async throws {
        let result = try await FerryProcess.run(["tail", "memory://empty", "--count", "1", "--timeout", "0.5"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("fewer than 1 deliveries within 0.5 s"), "\(result.stderr)")
    }
}

@Suite struct SchemaCLITests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")

    @Test func theShippedCatalogChecksClean() async throws {
        let result = try await FerryProcess.run(["schema", "check", root.appendingPathComponent("Config/schemas").path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("compatible: 1 event type(s): com.example.order.placed v1,v2"))
    }

    @Test func anIncompatibleVersionIsNamedAndFails() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-schemas-\(UUID().uuidString)")
        let type = directory.appendingPathComponent("shop.order")
        try FileManager.default.createDirectory(at: type, withIntermediateDirectories: true)
        try #"{"type":"object","properties":{"id":{"type":"string"}}}"#.write(
            to: type.appendingPathComponent("v1.json"), atomically: true, encoding: .utf8)
        try #"{"type":"object","required":["id","total"],"properties":{"id":{"type":"integer"},"total":{"type":"number"}}}"#
            .write(to: type.appendingPathComponent("v2.json"), atomically: true, encoding: .utf8)
        let result = try await FerryProcess.run(["schema", "check", directory.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("shop.order v2 vs v1 (BACKWARD)"))
        #expect(result.stdout.contains("$.total: required but absent"))
        #expect(result.stdout.contains("$.id: type string is written but only integer is read"))
        #expect(result.stdout.contains("$.id: required but optional"))
        #expect(result.stderr.contains("3 incompatible change(s)"))
    }
}

@Suite struct LogFormatCLITests {
    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml").path
        try "routes:\n  - source: memory://in\n    sinks: [memory://out]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let relay = try RunningFerry(["relay", "--config", config, "--log-level", "info", "--log-format", "json"])
        try await eventually(.seconds(20), "the relay logs that it started") { relay.stderr.contains("relaying") }
        #expect(await relay.stop(SIGTERM) == 0)
        let lines = relay.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["level"] != nil && object?["label"] != nil && object?["message"] != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""message":"relaying""#) && $0.contains(#""route":"route-1""#) })
    }
}

/// The relay's live progress line, seen on a real terminal (tmux).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux (scripts/test installs it)"))
struct RelayProgressCLITests {
    func tmux(_ arguments: [String]) async throws -> String {
        let child = try ChildProcess("/usr/bin/tmux", arguments)
        _ = await child.exit()
        return child.stdout
    }

    @Test func anInteractiveTerminalShowsOneProgressLine() async throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml").path
        try "routes:\n  - name: demo\n    source: memory://in\n    sinks: [memory://out]\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let session = "ferry-\(UUID().uuidString.prefix(8))"
        _ = try await tmux([
            "new-session", "-d", "-s", session, "-x", "160", "-y", "10", "\(FerryProcess.executable) relay --config \(config)",
        ])
        defer { Task { _ = try? await tmux(["kill-session", "-t", session]) } }
        let screen = Locked("")
        try await eventually(.seconds(20), "the progress line appears") {
            let text = try await tmux(["capture-pane", "-p", "-t", session])
            screen.withLock { $0 = text }
            return text.contains("demo: 0 ev/s, in flight 0") && text.contains("copied 0")
        }
        #expect(screen.withLock { $0 }.split(separator: "\n").filter { $0.contains("ev/s") }.count == 1, "one line, rewritten in place")
        _ = try await tmux(["send-keys", "-t", session, "C-c"])
    }
}
