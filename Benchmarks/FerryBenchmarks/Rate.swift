/// Throughput and latency arithmetic shared by every contender.
enum Rate {
    /// Events per second for `count` events in `elapsed`.
    static func perSecond(_ count: Int, _ elapsed: Duration) -> Double {
        Double(count) / max(elapsed.seconds, 1e-9)
    }

    /// The `fraction` percentile (0.5, 0.99) of microsecond samples, nearest rank.
    static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Rate {
    /// The rounds behind a median, for the report's notes.
    static func spread(_ raw: [Double], _ ferry: [Double]) -> String? {
        guard raw.count > 1 else { return nil }
        func list(_ values: [Double]) -> String { values.map { String(format: "%.0f", $0) }.joined(separator: ", ") }
        return "median of \(raw.count) rounds; raw \(list(raw)); ferry \(list(ferry))"
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var microsecondsValue: Double { seconds * 1e6 }
}
