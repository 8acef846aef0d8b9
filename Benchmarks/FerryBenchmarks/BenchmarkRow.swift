/// One line of the results: the same workload run by the raw C client, by Ferry and by the
/// Python client a user would pick instead (raw and peer are absent where they do not apply).
struct BenchmarkRow: Codable, Sendable {
    enum Unit: String, Codable, Sendable {
        case eventsPerSecond = "events/s"
        case microseconds = "µs"
        case nanoseconds = "ns"
        case mebibytes = "MiB"
        case allocations

        /// Throughput: higher is better; time and memory: lower is better.
        var higherIsBetter: Bool { self == .eventsPerSecond }
    }

    var section: String
    var name: String
    var unit: Unit
    var raw: Double?
    var ferry: Double
    var peer: Double?
    /// What the row is held to, e.g. "ferry/raw ≥ 0.9", and whether it was met.
    var target: String?
    var met: Bool?
    var note: String?

    var ferryOverRaw: Double? { raw.map { ferry / $0 } }
    var ferryOverPeer: Double? { peer.map { ferry / $0 } }
}
