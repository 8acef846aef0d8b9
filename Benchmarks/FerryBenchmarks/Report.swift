import Foundation

/// The results as Markdown (for BENCHMARKS.md) and JSON, with the machine they ran on.
struct Report: Codable {
    var command: String
    var date: String
    var machine: [String: String]
    var workload: Workload
    var rows: [BenchmarkRow]

    func markdown() -> String {
        var out = "# Ferry benchmarks\n\n"
        out += "Produced by `\(command)` on \(date). Each row runs the same workload with the same settings "
        out += "against the same local broker in one run: **raw** is the C client in a minimal loop, **ferry** is Ferry's API "
        out += "over that client, **peer** is the Python client users would reach for instead. Throughput is events/s "
        out += "(higher is better); latency and memory: lower is better.\n\n"
        out += "## Machine\n\n"
        for (key, value) in machine.sorted(by: { $0.key < $1.key }) { out += "- \(key): \(value)\n" }
        out += "\n## Workload\n\n"
        out += "- \(workload.events) events per throughput run, \(workload.payloadBytes)-byte JSON data\n"
        out += "- publish batches of \(workload.batch), each confirmed before the next; consumers hold \(workload.prefetch) unsettled\n"
        out += "- latency: \(workload.latencySamples) sequential single-event publishes, each waiting for its confirm\n"
        out += "- raw and Ferry throughput: the median of \(workload.repeats) rounds, taking turns; the Python peer runs once\n"
        for section in sections() {
            out += "\n## \(section)\n\n"
            out += "| measure | unit | raw C | ferry | peer (Python) | ferry/raw | ferry/peer | target |\n"
            out += "|---|---|---:|---:|---:|---:|---:|---|\n"
            for row in rows where row.section == section {
                let target = row.target.map { "\($0) \(row.met == true ? "✅ met" : "❌ not met")" } ?? ""
                out +=
                    "| \(row.name) | \(row.unit.rawValue) | \(Self.format(row.raw)) | \(Self.format(row.ferry)) | \(Self.format(row.peer)) "
                out += "| \(Self.ratio(row.ferryOverRaw)) | \(Self.ratio(row.ferryOverPeer)) | \(target) |\n"
            }
            let notes = rows.filter { $0.section == section }.compactMap { row in row.note.map { "- \(row.name): \($0)" } }
            if !notes.isEmpty { out += "\n" + notes.joined(separator: "\n") + "\n" }
        }
        return out
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    private func sections() -> [String] {
        var seen: [String] = []
        for row in rows where !seen.contains(row.section) { seen.append(row.section) }
        return seen
    }

    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    static func ratio(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.2f", value)
    }
}
