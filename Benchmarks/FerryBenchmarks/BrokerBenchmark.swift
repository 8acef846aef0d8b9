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

    func run(_ workload: Workload, ferry: FerryClient, peers: PeerClient) async throws -> [BenchmarkRow] {
        let run = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let blocking = BlockingExecutor(label: "bench.raw")
        func target(_ who: String, _ what: String) -> String { "\(run)-\(what)-\(who)" }
        Progress.say("\(broker): publish")
        let (publishRaw, consumeRaw, latencyRaw) = (self.rawPublish, self.rawConsume, self.rawLatency)
        let rawPublish = try await blocking.run { [target = target("raw", "pub")] () throws in try publishRaw(target, workload) }
        let ferryPublish = try await ferry.publish(ferryURL(target("ferry", "pub")), workload)
        let peerPublish = try peers.rate(peer.name, "publish", target: target("peer", "pub"), url: peer.url, headers: peerHeaders, workload)

        Progress.say("\(broker): consume+ack")
        for who in ["raw", "ferry", "peer"] { try await ferry.fill(ferryURL(target(who, "sub")), count: workload.events, workload) }
        let rawConsume = try await blocking.run { [target = target("raw", "sub")] () throws in try consumeRaw(target, "\(run)-raw", workload) }
        let ferryConsume = try await ferry.consume(
            ferryURL(target("ferry", "sub")), group: "\(run)-ferry", count: workload.events, prefetch: workload.prefetch)
        let peerConsume = try peers.rate(peer.name, "consume", target: target("peer", "sub"), url: peer.url, group: "\(run)-peer", workload)

        Progress.say("\(broker): confirm latency")
        let rawLatency = try await blocking.run { [target = target("raw", "lat")] () throws in try latencyRaw(target, workload) }
        let ferryLatency = try await ferry.latency(ferryURL(target("ferry", "lat")), workload)
        let peerLatency = try peers.samples(peer.name, target: target("peer", "lat"), url: peer.url, headers: peerHeaders, workload)

        func throughput(_ name: String, _ raw: Double, _ ferry: Double, _ peer: Double) -> BenchmarkRow {
            BenchmarkRow(
                section: broker, name: name, unit: .eventsPerSecond, raw: raw, ferry: ferry, peer: peer,
                target: "ferry/raw ≥ 0.9", met: ferry / raw >= 0.9)
        }
        func latency(_ name: String, _ fraction: Double) -> BenchmarkRow {
            BenchmarkRow(
                section: broker, name: name, unit: .microseconds, raw: Rate.percentile(rawLatency, fraction),
                ferry: Rate.percentile(ferryLatency, fraction), peer: Rate.percentile(peerLatency, fraction))
        }
        return [
            throughput("publish", rawPublish, ferryPublish, peerPublish),
            throughput("consume+ack", rawConsume, ferryConsume, peerConsume),
            latency("publish-confirm latency p50", 0.5),
            latency("publish-confirm latency p99", 0.99),
        ]
    }
}
