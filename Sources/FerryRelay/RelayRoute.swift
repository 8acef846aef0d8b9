import Ferry
import Foundation
import Logging
import ServiceLifecycle

/// One route of the relay as a long-running service: reads its source as a group member and
/// copies each event to every sink. The source event is acked only after every sink confirmed;
/// event ids and attributes are unchanged; events with one partition key are copied in order;
/// at most `inFlight` events are copied at once, so a slow sink slows the source.
public final class RelayRoute: Service {
    /// Counts the relays an event has crossed, to stop loops.
    public static let hopsHeader = "ferry-hops"

    public let configuration: RouteConfiguration
    private let transports: Transports
    private let store: any IdempotencyStore
    private let schemas: SchemaRegistry?
    private let logger: Logger
    private let counters = Locked(RelayStatistics())
    private let inFlightCount = Locked(0)
    private let lastLag = Locked<Int?>(nil)
    private let metrics: RelayMetrics
    private let chains = Locked<[String: (id: Int, task: Task<Void, Never>)]>([:])

    public init(
        configuration: RouteConfiguration, transports: Transports, store: any IdempotencyStore, schemas: SchemaRegistry?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.transports = transports
        self.store = store
        self.schemas = schemas
        metrics = RelayMetrics(route: configuration.name)
        var logger = logger
        logger[metadataKey: "route"] = "\(configuration.name)"
        self.logger = logger
    }

    public var statistics: RelayStatistics { counters.withLock { $0 } }

    /// Copies running now, and the source's lag when last measured (every 10 s).
    public var progress: (inFlight: Int, lag: Int?) { (inFlightCount.withLock { $0 }, lastLag.withLock { $0 }) }

    /// Copies until the source ends or a graceful shutdown: then it stops reading, lets the
    /// copies in flight finish (up to the drain deadline), and closes everything.
    public func run() async throws {
        let source = configuration.source
        let subscription = try await transports.transport(for: source).subscribe(
            to: source, options: SubscribeOptions(group: configuration.group, prefetch: configuration.inFlight))
        var opened: [(endpoint: Endpoint, publisher: any Publisher)] = []
        for sink in configuration.sinks { opened.append((sink, try await transports.transport(for: sink).makePublisher(for: sink))) }
        let sinks = opened
        logger.info("relaying", metadata: ["source": "\(source)", "sinks": "\(configuration.sinks.map(\.description))"])
        let reader = Task { [self] in
            try await withThrowingTaskGroup(of: Void.self) { copies in
                var running = 0
                var sequence = 0
                for try await delivery in subscription {
                    if running >= configuration.inFlight {
                        try await copies.next()
                        running -= 1
                    }
                    sequence += 1
                    inFlightCount.withLock { $0 += 1 }
                    let task = chain(delivery, id: sequence) { [self] in
                        await copy(delivery, to: sinks)
                        inFlightCount.withLock { $0 -= 1 }
                    }
                    copies.addTask { await task.value }
                    running += 1
                }
                try await copies.waitForAll()
            }
        }
        let lagProbe = Task { [self] in
            while !Task.isCancelled {
                if let lag = try? await transports.transport(for: source).lag(of: source, group: configuration.group) {
                    let total = lag.reduce(0) { $0 + $1.lag }
                    metrics.lag.record(total)
                    lastLag.withLock { $0 = total }
                }
                try? await Task.sleep(for: .seconds(10))
            }
        }
        defer { lagProbe.cancel() }
        let stopping = Locked(false)
        do {
            try await withGracefulShutdownHandler {
                _ = try await reader.value
            } onGracefulShutdown: {
                stopping.withLock { $0 = true }
                reader.cancel()
            }
        } catch is CancellationError where stopping.withLock({ $0 }) {
            // Asked to stop: the copies in flight have finished (the group waited for them).
        }
        await subscription.close()
        for sink in sinks { await sink.publisher.close() }
        logger.info("route stopped", metadata: ["statistics": "\(statistics.summary)"])
    }

    /// Runs `work` after the previous copy of the same partition key, keeping per-key order.
    private func chain(_ delivery: Delivery, id: Int, _ work: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        guard let key = delivery.event.partitionkey else { return Task { await work() } }
        return chains.withLock { chains in
            let previous = chains[key]?.task
            let task = Task { [chains = self.chains] in
                await previous?.value
                await work()
                chains.withLock { if $0[key]?.id == id { $0[key] = nil } }
            }
            chains[key] = (id, task)
            return task
        }
    }

    /// Copies one delivery and settles it; never throws (a failure settles it as retry or DLQ).
    func copy(_ delivery: Delivery, to sinks: [(endpoint: Endpoint, publisher: any Publisher)]) async {
        do {
            try await copyOrSettle(delivery, to: sinks)
        } catch {
            logger.warning("could not settle a delivery; it will be delivered again", metadata: ["event": "\(delivery.event.id)", "error": "\(error)"])
        }
    }

    private func copyOrSettle(_ delivery: Delivery, to sinks: [(endpoint: Endpoint, publisher: any Publisher)]) async throws {
        metrics.eventsIn.increment()
        var event = delivery.event
        if !configuration.types.isEmpty && !configuration.types.contains(event.type)
            || configuration.subjectPrefix.map({ !(event.subject ?? "").hasPrefix($0) }) == true
        {
            try await delivery.ack()
            counters.withLock { $0.skipped += 1 }
            return
        }
        let hops = Int(event.headers[Self.hopsHeader] ?? "0") ?? 0
        guard hops < configuration.maxHops else {
            return try await deadLetter(delivery, DeadLetterReason(.loop, "crossed \(hops) relays; the limit of route '\(configuration.name)' is \(configuration.maxHops)"))
        }
        event.headers[Self.hopsHeader] = String(hops + 1)
        if let target = configuration.upcastTo, let schemas, !delivery.isWrapped {
            do {
                let before = event.dataversion ?? 1
                event = try schemas.prepare(event, to: target)
                if before != target { counters.withLock { $0.upcast += 1 } }
            } catch {
                return try await deadLetter(delivery, DeadLetterReason(error.code == .payloadDecoding ? .decode : .schema, error.message))
            }
        }
        let key = "\(configuration.name)|\(delivery.event.idempotencyKey)"
        switch try await store.reserve(key, for: .seconds(60)) {
        case .done:
            try await delivery.ack()
            counters.withLock { $0.duplicates += 1 }
            metrics.duplicates.increment()
            return
        case .inProgress:
            try await delivery.retry(after: configuration.retry.maxDelay, reason: "another relay is copying this event")
            return
        case .acquired:
            break
        }
        let started = ContinuousClock.now
        let failures = await publish(event, raw: delivery.isWrapped, to: sinks)
        metrics.confirmLatency.recordNanoseconds((ContinuousClock.now - started).microseconds * 1000)
        if failures.isEmpty {
            metrics.eventsOut.increment(by: sinks.count)
            try await delivery.ack()
            try await store.complete(key, retention: .seconds(7 * 24 * 3600))
            counters.withLock { $0.copied += 1 }
            return
        }
        try? await store.release(key)
        let text = failures.map { "\($0.sink): \($0.error.message)" }.joined(separator: "; ")
        if failures.contains(where: { !$0.error.isRetriable }) {
            try await deadLetter(delivery, DeadLetterReason(.rejected, text))
        } else if delivery.attempt >= configuration.retry.maxAttempts {
            try await deadLetter(delivery, DeadLetterReason(.retriesExhausted, "failed \(delivery.attempt) times; last: \(text)"))
        } else {
            logger.warning("a sink failed; retrying", metadata: ["event": "\(event.id)", "error": "\(text)"])
            try await delivery.retry(after: configuration.retry.delay(after: delivery.attempt), reason: text)
            counters.withLock { $0.retried += 1 }
            metrics.retries.increment()
        }
    }

    /// Publishes to every sink at once; returns the sinks that did not confirm.
    private func publish(
        _ event: Event, raw: Bool, to sinks: [(endpoint: Endpoint, publisher: any Publisher)]
    ) async -> [(sink: Endpoint, error: FerryError)] {
        await withTaskGroup(of: (Endpoint, FerryError?).self) { group in
            for sink in sinks {
                group.addTask {
                    let result: Result<Receipt, FerryError>
                    if raw {
                        result = await sink.publisher.send(raw: [RawMessage(
                            body: event.data, headers: event.headers, contentType: event.datacontenttype, key: event.partitionkey)])[0]
                    } else {
                        result = await sink.publisher.send([event])[0]
                    }
                    if case .failure(let error) = result { return (sink.endpoint, error) }
                    return (sink.endpoint, nil)
                }
            }
            var failures: [(sink: Endpoint, error: FerryError)] = []
            for await (sink, error) in group { if let error { failures.append((sink, error)) } }
            return failures
        }
    }

    private func deadLetter(_ delivery: Delivery, _ reason: DeadLetterReason) async throws {
        try await delivery.deadLetter(reason)
        counters.withLock { $0.deadLettered += 1 }
        metrics.deadLetters.increment()
        logger.warning("event dead-lettered", metadata: ["event": "\(delivery.event.id)", "reason": "\(reason)"])
    }
}
