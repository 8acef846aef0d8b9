import Ferry
import Foundation

/// A `Consumer` whose handler waits 1 ms on I/O, on each broker: one handler at a time against
/// `concurrency` at once (`ConsumerOptions.concurrency`). Events carry distinct partition keys
/// (a real service's orders); the rate is events handled and acked per second.
struct HandlerBenchmark {
    let urls: BrokerURLs
    let ferry: FerryClient
    let workload: Workload
    let concurrency = 64

    func run() async throws -> [BenchmarkRow] {
        var rows: [BenchmarkRow] = []
        for (broker, url) in [("Kafka", urls.kafka), ("RabbitMQ", { urls.amqp(queue: $0) }), ("Redis", urls.redis)]
            as [(String, (String) -> String)]
        {
            Progress.say("handler-bound: \(broker)")
            let serial = try await rate(url, events: 1000, concurrency: 1)
            let side = try await rate(url, events: 10_000, concurrency: concurrency)
            rows.append(
                BenchmarkRow(
                    section: "Handler-bound", name: "\(broker): 1 ms handler, one at a time", unit: .eventsPerSecond, ferry: serial))
            rows.append(
                BenchmarkRow(
                    section: "Handler-bound", name: "\(broker): 1 ms handler, concurrency \(concurrency)", unit: .eventsPerSecond,
                    ferry: side, target: "≥ 50× one at a time", met: side >= 50 * serial,
                    note: String(format: "%.1f× one at a time", side / serial)))
        }
        return rows
    }

    /// Fills a fresh destination with `events` events, then times a `Consumer` handling them all.
    private func rate(_ url: (String) -> String, events: Int, concurrency: Int) async throws -> Double {
        let target = url("ferry-bench-handler-\(UUID().uuidString.prefix(8).lowercased())")
        let endpoint = try Endpoint(target)
        try await ferry.transports.transport(for: endpoint).provision(endpoint, partitions: 4)
        let publisher = try await ferry.transports.publisher(target)
        let all = (0..<events).map { Event(source: "/bench", type: "t", partitionkey: "order-\($0)", data: workload.payload) }
        for start in stride(from: 0, to: events, by: 1000) {
            _ = try await publisher.publish(Array(all[start..<min(start + 1000, events)]))
        }
        await publisher.close()
        return try await ferry.consumerRate(
            target, count: events, prefetch: 2 * concurrency, options: ConsumerOptions(idempotency: nil, concurrency: concurrency),
            work: .milliseconds(1))
    }
}
