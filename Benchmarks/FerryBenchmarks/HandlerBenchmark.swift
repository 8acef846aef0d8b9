import Ferry
import Foundation
import Logging

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
        let subscription = try await ferry.transports.subscribe(
            target, options: SubscribeOptions(group: "bench-\(UUID().uuidString.prefix(8))", prefetch: 2 * concurrency))
        let publisher = try await ferry.transports.publisher(target)
        let all = (0..<events).map { Event(source: "/bench", type: "t", partitionkey: "order-\($0)", data: workload.payload) }
        for start in stride(from: 0, to: events, by: 1000) {
            _ = try await publisher.publish(Array(all[start..<min(start + 1000, events)]))
        }
        await publisher.close()
        let handled = Locked((count: 0, started: ContinuousClock.Instant?.none, finished: ContinuousClock.Instant?.none))
        let consumer = Consumer(
            subscription: subscription, options: ConsumerOptions(idempotency: nil, concurrency: concurrency), logger: Logger(label: "bench")
        ) { _ in
            handled.withLock { if $0.started == nil { $0.started = .now } }
            try await Task.sleep(for: .milliseconds(1))
            handled.withLock {
                $0.count += 1
                if $0.count == events { $0.finished = .now }
            }
        }
        let running = Task { try await consumer.run() }
        while handled.withLock({ $0.finished == nil }) { try await Task.sleep(for: .milliseconds(20)) }
        running.cancel()
        await subscription.close()
        let (started, finished) = handled.withLock { ($0.started!, $0.finished!) }
        return Rate.perSecond(events, finished - started)
    }
}
