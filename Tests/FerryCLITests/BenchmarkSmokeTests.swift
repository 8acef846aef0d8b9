import Foundation
import Testing

/// `ferry-bench` itself runs and reports: its core section (no broker needed) with few
/// iterations, so a change that breaks the harness or its report fails here, not at the next
/// benchmark run. The broker sections run in scripts/bench.
@Suite struct BenchmarkSmokeTests {
    @Test func theCoreSectionWritesMarkdownAndJSON() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let markdown = folder.appendingPathComponent("BENCHMARKS.md").path
        let json = folder.appendingPathComponent("results.json").path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let run = try await FerryProcess.run(
            [
                "--only", "core", "--core-iterations", "2000", "--markdown", markdown, "--json", json, "--notes", "/nonexistent",
                "--command", "smoke test", "--schemas", root.appendingPathComponent("Config/schemas").path,
            ],
            program: FerryProcess.built("ferry-bench"), timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { ($0["ferry"] as? Double ?? 0) > 0 }, "every row measured something: \(rows)")
        #expect(rows.last?["target"] as? String == "≤ 2 µs")
        let text = try String(contentsOfFile: markdown, encoding: .utf8)
        #expect(text.contains("## Core overhead per event"))
        #expect(text.contains("Produced by `smoke test`"))
    }
}
