import CMallocCounter
import Ferry
import Foundation

/// The publish, consume+ack and confirm-latency rows of one broker: raw C client, Ferry and the
/// Python peer, each on its own fresh topic, queue or stream.
struct BrokerBenchmark {
    var broker: String
    /// The broker's name for peer.py, and the URL the peer connects to.
    var peer: (name: String, url: String)
    /// The Ferry endpoint URL of a topic, queue or stream.
    var ferryURL: (String) -> String
    /// The headers (Kafka, AMQP) or fields (Redis) Ferry writes with each event, which the peer
    /// sends too; for AMQP, `content-type` is the property.
    var peerHeaders: [(String, String)]
    var rawPublish: @Sendable (_ target: String, Workload) throws -> Double
    var rawLatency: @Sendable (_ target: String, Workload) throws -> [Double]
    var rawConsume: @Sendable (_ target: String, _ group: String, Workload) throws -> Double
    /// Deletes the destinations a run created (nothing to do where the broker forgets them).
    var cleanup: @Sendable (_ targets: [String]) throws -> Void = { _ in }

    func run(_ workload: Workload, ferry: FerryClient, peers: PeerClient) async throws -> [BenchmarkRow] {
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let blocking = BlockingExecutor(label: "bench.raw")
        var targets: [String] = []
        func target(_ who: String, _ what: String) -> String {
            let name = "\(run)-\(what)-\(who)"
            if !targets.contains(name) { targets.append(name) }
            return name
        }
        let (publishRaw, consumeRaw, latencyRaw) = (self.rawPublish, self.rawConsume, self.rawLatency)
        // Raw and Ferry take turns, `workload.repeats` times each, on fresh destinations; the
        // median counts. The Python peer runs once (it is slow, and no target depends on it).
        var rawPublish: [Double] = []
        var ferryPublish: [Double] = []
        var rawConsume: [Double] = []
        var ferryConsume: [Double] = []
        /// Heap allocations per event while `body` consumes the workload (any thread's); not
        /// timed, since counting slows every thread's allocations.
        func counted(_ body: () async throws -> Double) async rethrows -> Double {
            ferry_bench_count_allocations(1)
            defer { ferry_bench_count_allocations(0) }
            let before = ferry_bench_allocations()
            _ = try await body()
            return Double(ferry_bench_allocations() - before) / Double(workload.events)
        }
        for round in 1...workload.repeats {
            Progress.say("\(broker): publish, round \(round) of \(workload.repeats)")
            rawPublish.append(
                try await blocking.run { [target = target("raw", "pub\(round)")] () throws in try publishRaw(target, workload) })
            ferryPublish.append(try await ferry.publish(ferryURL(target("ferry", "pub\(round)")), workload))
            try cleanup([target("raw", "pub\(round)"), target("ferry", "pub\(round)")])  // a full broker is a slower one
            Progress.say("\(broker): consume+ack, round \(round) of \(workload.repeats)")
            for who in ["raw", "ferry"] { try await ferry.fill(ferryURL(target(who, "sub\(round)")), count: workload.events, workload) }
            rawConsume.append(
                try await blocking.run { [target = target("raw", "sub\(round)")] () throws in
                    try consumeRaw(target, "\(run)-raw\(round)", workload)
                })
            ferryConsume.append(
                try await ferry.consume(
                    ferryURL(target("ferry", "sub\(round)")), group: "\(run)-ferry\(round)", count: workload.events,
                    prefetch: workload.prefetch))
            try cleanup([target("raw", "sub\(round)"), target("ferry", "sub\(round)")])
        }
        Progress.say("\(broker): heap allocations while consuming")
        for who in ["raw", "ferry"] { try await ferry.fill(ferryURL(target(who, "alloc")), count: workload.events, workload) }
        let rawAllocations = try await counted {
            try await blocking.run { [target = target("raw", "alloc")] () throws in try consumeRaw(target, "\(run)-raw-alloc", workload) }
        }
        let ferryAllocations = try await counted {
            try await ferry.consume(
                ferryURL(target("ferry", "alloc")), group: "\(run)-ferry-alloc", count: workload.events, prefetch: workload.prefetch)
        }

        Progress.say("\(broker): the Python peer")
        let peerPublish = try peers.rate(peer.name, "publish", target: target("peer", "pub"), url: peer.url, headers: peerHeaders, workload)
        try await ferry.fill(ferryURL(target("peer", "sub")), count: workload.events, workload)
        let peerConsume = try peers.rate(peer.name, "consume", target: target("peer", "sub"), url: peer.url, group: "\(run)-peer", workload)

        Progress.say("\(broker): confirm latency")
        let rawLatency = try await blocking.run { [target = target("raw", "lat")] () throws in try latencyRaw(target, workload) }
        let ferryLatency = try await ferry.latency(ferryURL(target("ferry", "lat")), workload)
        let peerLatency = try peers.samples(peer.name, target: target("peer", "lat"), url: peer.url, headers: peerHeaders, workload)

        try cleanup(targets)

        func throughput(_ name: String, _ raws: [Double], _ ferries: [Double], _ peer: Double) -> BenchmarkRow {
            let (raw, ferry) = (Rate.percentile(raws, 0.5), Rate.percentile(ferries, 0.5))
            return BenchmarkRow(
                section: broker, name: name, unit: .eventsPerSecond, raw: raw, ferry: ferry, peer: peer,
                target: "ferry/raw ≥ 0.9, ferry/peer ≥ 1", met: ferry / raw >= 0.9 && ferry >= peer,
                note: Rate.spread(raws, ferries))
        }
        /// Held to raw + 30 µs at the median, except on Kafka, where linger.ms decides.
        func latency(_ name: String, _ fraction: Double) -> BenchmarkRow {
            let (raw, ferry) = (Rate.percentile(rawLatency, fraction), Rate.percentile(ferryLatency, fraction))
            let held = fraction == 0.5 && broker != "Kafka"
            return BenchmarkRow(
                section: broker, name: name, unit: .microseconds, raw: raw, ferry: ferry, peer: Rate.percentile(peerLatency, fraction),
                target: held ? "≤ raw + 30 µs" : nil, met: held ? ferry <= raw + 30 : nil)
        }
        return [
            throughput("publish", rawPublish, ferryPublish, peerPublish),
            throughput("consume+ack", rawConsume, ferryConsume, peerConsume),
            BenchmarkRow(
                section: broker, name: "heap allocations per consumed event", unit: .allocations,
                raw: rawAllocations, ferry: ferryAllocations, target: "ferry − raw ≤ 2", met: ferryAllocations - rawAllocations <= 2,
                note: "every malloc of the process (the C client's threads too) in an untimed consume+ack, connecting included"),
            latency("publish-confirm latency p50", 0.5),
            latency("publish-confirm latency p99", 0.99),
        ]
    }
}
