import Ferry
import Foundation
import Logging

/// The benchmark's workloads through Ferry's public API, on any transport.
struct FerryClient {
    let transports: Transports

    func publish(_ url: String, _ workload: Workload) async throws -> Double {
        let publisher = try await transports.publisher(url)
        _ = try await publisher.publish(workload.events(1)[0])  // warm-up, as every contender
        let events = workload.events(workload.events)
        let started = ContinuousClock.now
        var sent = 0
        while sent < events.count {
            let batch = Array(events[sent..<min(sent + workload.batch, events.count)])
            _ = try await publisher.publish(batch)
            sent += batch.count
        }
        let rate = Rate.perSecond(events.count, ContinuousClock.now - started)
        await publisher.close()
        return rate
    }

    func latency(_ url: String, _ workload: Workload) async throws -> [Double] {
        let publisher = try await transports.publisher(url)
        _ = try await publisher.publish(workload.events(1)[0])  // warm-up, as every contender
        var samples: [Double] = []
        for event in workload.events(workload.latencySamples) {
            let started = ContinuousClock.now
            _ = try await publisher.publish(event)
            samples.append((ContinuousClock.now - started).microsecondsValue)
        }
        await publisher.close()
        return samples
    }

    /// Consumes `count` events as a group member and acks each; timed from the first.
    func consume(_ url: String, group: String, count: Int, prefetch: Int) async throws -> Double {
        let subscription = try await transports.subscribe(url, options: SubscribeOptions(group: group, prefetch: prefetch))
        var started: ContinuousClock.Instant?
        var seen = 0
        for try await delivery in subscription {
            if started == nil { started = .now }
            try await delivery.ack()
            seen += 1
            if seen == count { break }
        }
        let rate = Rate.perSecond(count, ContinuousClock.now - started!)
        await subscription.close()
        return rate
    }

    /// Runs a `Consumer` over `url` until it has handled `count` events, each handler waiting
    /// `work` (none: it returns at once); timed from the first handler call to the last.
    func consumerRate(_ url: String, count: Int, prefetch: Int, options: ConsumerOptions, work: Duration? = nil) async throws
        -> Double
    {
        let subscription = try await transports.subscribe(
            url, options: SubscribeOptions(group: "bench-\(UUID().uuidString.prefix(8))", prefetch: prefetch))
        let handled = Locked((count: 0, started: ContinuousClock.Instant?.none, finished: ContinuousClock.Instant?.none))
        let consumer = Consumer(subscription: subscription, options: options, logger: Logger(label: "bench")) { _ in
            handled.withLock { if $0.started == nil { $0.started = .now } }
            if let work { try await Task.sleep(for: work) }
            handled.withLock {
                $0.count += 1
                if $0.count == count { $0.finished = .now }
            }
        }
        let running = Task { try await consumer.run() }
        while handled.withLock({ $0.finished == nil }) { try await Task.sleep(for: .milliseconds(20)) }
        running.cancel()
        await subscription.close()
        let (started, finished) = handled.withLock { ($0.started!, $0.finished!) }
        return Rate.perSecond(count, finished - started)
    }

    /// Fills `url` with `count` Ferry events (not timed), for the consumers to read.
    func fill(_ url: String, count: Int, _ workload: Workload) async throws {
        let publisher = try await transports.publisher(url)
        for start in stride(from: 0, to: count, by: 1000) {
            _ = try await publisher.publish(workload.events(start..<min(start + 1000, count)))
        }
        await publisher.close()
    }
}
