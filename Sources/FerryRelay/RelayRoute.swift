import Ferry
import Foundation
import Logging
import ServiceLifecycle

/// One route of the relay as a long-running service: reads its source as a group member and
/// copies each event to every sink. The source event is acked only after every sink confirmed;
/// event ids and attributes are unchanged. Events are copied in batches of what the source
/// has already fetched (at most `inFlight`): a batch is read and admitted (one call to the
/// idempotency store) while the one before is published, and published only after it, while
/// the one before that is settled; so events with one partition key keep their order, at most
/// three batches are held, and a slow sink slows the source.
public final class RelayRoute: Service {
    /// Counts the relays an event has crossed, to stop loops.
    public static let hopsHeader = "ferry-hops"

    public let configuration: RouteConfiguration
    private let transports: Transports
    private let schemas: SchemaRegistry?
    private let pipeline: DeliveryPipeline
    private let logger: Logger
    private let counters = Locked(RelayStatistics())
    private let inFlightCount = Locked(0)
    private let lastLag = Locked<Int?>(nil)
    private let state = Locked<(RouteHealth.State, String?)>((.starting, nil))

    /// Copies are remembered in `store` per route, and the route's metrics are the pipeline's
    /// (`ferry_events_*`, labelled with `route`).
    public init(
        configuration: RouteConfiguration, transports: Transports, store: any IdempotencyStore, schemas: SchemaRegistry?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.transports = transports
        self.schemas = schemas
        var logger = logger
        logger[metadataKey: "route"] = "\(configuration.name)"
        self.logger = logger
        pipeline = DeliveryPipeline(
            scope: configuration.name, endpoint: configuration.source, group: configuration.group,
            options: ConsumerOptions(retry: configuration.retry, idempotency: store, retention: configuration.dedupRetention),
            dimensions: [("route", configuration.name)], timesHandlers: false, logger: logger)
    }

    public var statistics: RelayStatistics { counters.withLock { $0 } }

    /// Whether the route runs, settles what it reads and keeps up: what `/health` reports.
    public var health: RouteHealth {
        let (current, error) = state.withLock { $0 }
        return RouteHealth(state: current, error: error, pipeline: pipeline.health)
    }

    /// Events read and not yet settled (at most three batches), and the source's lag when last
    /// measured (every 10 s).
    public var progress: (inFlight: Int, lag: Int?) { (inFlightCount.withLock { $0 }, lastLag.withLock { $0 }) }

    /// Copies until the source ends or a graceful shutdown: then it stops reading, lets the
    /// batches in flight finish, and closes everything.
    public func run() async throws {
        do {
            try await copyUntilStopped()
            state.withLock { $0 = (.stopped, nil) }
        } catch {
            state.withLock { $0 = (.failed, "\(error)") }
            throw error
        }
    }

    private func copyUntilStopped() async throws {
        let source = configuration.source
        let subscription = try await transports.transport(for: source).subscribe(
            to: source,
            options: SubscribeOptions(
                group: configuration.group, prefetch: 2 * configuration.inFlight, readAhead: configuration.readAhead,
                limits: configuration.limits))
        var opened: [(endpoint: Endpoint, publisher: any Publisher)] = []
        for sink in configuration.sinks { opened.append((sink, try await transports.publisher(for: sink))) }
        let sinks = opened
        state.withLock { $0 = (.running, nil) }
        logger.info("relaying", metadata: ["source": "\(source)", "sinks": "\(configuration.sinks.map(\.description))"])
        let reader = Task { [self] in
            // Three stages overlap: a batch is admitted while the one before is published, and
            // that one's deliveries are settled (acked, marked done) while the next is published.
            var publishing: Task<Void, Never>?
            var settling: [(task: Task<Void, Never>, keys: Set<String>)] = []  // at most two batches
            do {
                while true {
                    await pipeline.pauseWhileFailing()
                    let batch = try await subscription.nextBatch(max: configuration.inFlight)
                    guard !batch.isEmpty else { break }
                    inFlightCount.withLock { $0 += batch.count }
                    // Keys of batches not settled yet wait until they are: then a producer's
                    // retry is a duplicate.
                    let held = settling.reduce(into: Set<String>()) { $0.formUnion($1.keys) }
                    let (outgoing, repeated) = await prepare(batch, after: held)
                    await publishing?.value
                    if settling.count == 2 { await settling.removeFirst().task.value }
                    // Neither is cancelled by a shutdown: a batch is never left half copied.
                    let published = Task { await publish(outgoing, to: sinks) }
                    publishing = Task { _ = await published.value }
                    let previous = settling.last?.task
                    let settled = Task {
                        let failures = await published.value
                        await previous?.value
                        await settle(outgoing, failures)
                        await copy(repeated, to: sinks)
                        inFlightCount.withLock { $0 -= batch.count }
                    }
                    // Repeated keys too: their copies go out with this batch's settling.
                    settling.append((settled, Set(outgoing.map(\.key) + repeated.map { pipeline.key(for: $0.event) })))
                }
            } catch {
                for stage in settling { await stage.task.value }
                throw error
            }
            for stage in settling { await stage.task.value }
        }
        let lagProbe = Task { [pipeline, lastLag] in
            await pipeline.probeLag(of: subscription, every: .seconds(10)) { total in lastLag.withLock { $0 = total } }
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
            // Asked to stop: the batch in flight has finished (a copy is not cancelled midway).
        }
        await subscription.close()
        for sink in sinks { await sink.publisher.close() }
        logger.info("route stopped", metadata: ["statistics": "\(statistics.summary)"])
    }

    /// One event on its way to the sinks.
    private struct Outgoing {
        var ticket: DeliveryPipeline.Ticket
        var key: String
        var event: Event
        var delivery: Delivery { ticket.delivery }
    }

    /// A sink did not confirm a copy; another attempt may succeed.
    private struct SinkFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Copies deliveries to every sink and settles each. An event repeated among them (a
    /// producer's retry) waits for the first copy, then is settled as a duplicate.
    private func copy(_ batch: [Delivery], to sinks: [(endpoint: Endpoint, publisher: any Publisher)]) async {
        var waiting = batch
        while !waiting.isEmpty {
            let (outgoing, repeated) = await prepare(waiting, after: [])
            await send(outgoing, to: sinks)
            waiting = repeated
        }
    }

    /// The events of a batch to send, and those whose key is in `held` or came earlier in it;
    /// the others are settled here. Never throws: a delivery that cannot be settled is
    /// delivered again.
    private func prepare(_ batch: [Delivery], after held: Set<String>) async -> (outgoing: [Outgoing], repeated: [Delivery]) {
        var screened: [(delivery: Delivery, key: String, event: Event)] = []
        var repeated: [Delivery] = []
        var keys = Set<String>()
        for delivery in batch {
            let key = pipeline.key(for: delivery.event)
            guard !held.contains(key), keys.insert(key).inserted else {
                repeated.append(delivery)
                continue
            }
            do {
                if let event = try await screen(delivery) { screened.append((delivery, key, event)) }
            } catch {
                await pipeline.giveBack(delivery, error)
            }
        }
        let admissions: [Result<DeliveryPipeline.Admission, any Error>]
        do {
            admissions = try await pipeline.admit(screened.map(\.delivery), keys: screened.map(\.key))
        } catch {
            await pipeline.giveBack(screened.map(\.delivery), error)
            return ([], repeated)
        }
        var outgoing: [Outgoing] = []
        for (item, admission) in zip(screened, admissions) {
            switch admission {
            case .success(.handle(let ticket)): outgoing.append(Outgoing(ticket: ticket, key: item.key, event: item.event))
            case .success(.settled(let outcome)): count(outcome)
            case .failure(let error): await pipeline.giveBack(item.delivery, error)
            }
        }
        return (outgoing, repeated)
    }

    /// Sends prepared events to every sink and settles each delivery. Never throws: a delivery
    /// that cannot be settled is delivered again.
    private func send(_ outgoing: [Outgoing], to sinks: [(endpoint: Endpoint, publisher: any Publisher)]) async {
        await settle(outgoing, await publish(outgoing, to: sinks))
    }

    /// Settles sent events: those every sink confirmed together, the others one by one as
    /// retry or dead letter.
    private func settle(_ outgoing: [Outgoing], _ failures: [[(sink: Endpoint, error: FerryError)]]) async {
        let copied = zip(outgoing, failures).filter { $1.isEmpty }.map(\.0.ticket)
        let handled = await pipeline.succeeded(copied)
        counters.withLock { $0.copied += handled }
        for (item, failed) in zip(outgoing, failures) where !failed.isEmpty {
            do {
                try await settle(item, failed)
            } catch {
                await pipeline.giveBack(item.delivery, error)
            }
        }
    }

    /// Filters and counts the hop, upcasts; the event to copy, or nil when the delivery was
    /// settled here (skipped, a loop, invalid).
    private func screen(_ delivery: Delivery) async throws -> Event? {
        var event = delivery.event
        if !configuration.types.isEmpty && !configuration.types.contains(event.type)
            || configuration.subjectPrefix.map({ !(event.subject ?? "").hasPrefix($0) }) == true
        {
            try await delivery.ack()
            counters.withLock { $0.skipped += 1 }
            return nil
        }
        let hops = max(0, Int(event.headers[Self.hopsHeader] ?? "0") ?? 0)  // a forged negative count does not lift the limit
        guard hops < configuration.maxHops else {
            let reason = DeadLetterReason(
                .loop, "crossed \(hops) relays; the limit of route '\(configuration.name)' is \(configuration.maxHops)")
            count(try await pipeline.deadLetter(delivery, reason))
            return nil
        }
        event.headers[Self.hopsHeader] = String(hops + 1)
        // Only catalogued types: the relay copies every other event as it is.
        if let target = configuration.upcastTo, let schemas, !delivery.isWrapped, schemas.catalog.versions[event.type] != nil {
            do {
                let before = event.dataversion ?? 1
                event = try schemas.prepare(event, to: target)
                if before != target { counters.withLock { $0.upcast += 1 } }
            } catch {
                count(try await pipeline.rejectInvalid(delivery, error))
                return nil
            }
        }
        return event
    }

    /// The pipeline retries a copy some sink did not confirm, or dead-letters it (`rejected`
    /// when a sink refused it for good).
    private func settle(_ item: Outgoing, _ failures: [(sink: Endpoint, error: FerryError)]) async throws {
        let text = failures.map { "\($0.sink): \($0.error.message)" }.joined(separator: "; ")
        let error: any Error =
            failures.contains { !$0.error.isRetriable }
            ? PermanentFailure(DeadLetterReason(.rejected, text)) : SinkFailure(description: text)
        let outcome = try await pipeline.failed(item.ticket, error)
        if case .retried = outcome {
            logger.warning("a sink failed; retrying", metadata: ["event": "\(item.event.id)", "error": "\(text)"])
        }
        count(outcome)
    }

    private func count(_ outcome: ConsumerOutcome) {
        counters.withLock { statistics in
            switch outcome {
            case .handled: statistics.copied += 1
            case .duplicate: statistics.duplicates += 1
            case .retried: statistics.retried += 1
            case .deadLettered: statistics.deadLettered += 1
            case .deferred: break
            }
        }
    }

    /// Sends the batch to every sink at once, in order; for each event, the sinks that did not
    /// confirm it.
    private func publish(
        _ items: [Outgoing], to sinks: [(endpoint: Endpoint, publisher: any Publisher)]
    ) async -> [[(sink: Endpoint, error: FerryError)]] {
        guard !items.isEmpty else { return [] }
        let wrapped = items.indices.filter { items[$0].delivery.isWrapped }
        let enveloped = items.indices.filter { !items[$0].delivery.isWrapped }
        return await withTaskGroup(of: [(Int, Endpoint, FerryError)].self) { group in
            for sink in sinks {
                group.addTask {
                    var results = zip(enveloped, await sink.publisher.send(enveloped.map { items[$0].event })).map { ($0, $1) }
                    if !wrapped.isEmpty {
                        let raw = wrapped.map { index in
                            let event = items[index].event
                            return RawMessage(
                                body: event.data, headers: event.headers, contentType: event.datacontenttype, key: event.partitionkey)
                        }
                        results += zip(wrapped, await sink.publisher.send(raw: raw)).map { ($0, $1) }
                    }
                    return results.compactMap { index, result in
                        if case .failure(let error) = result { return (index, sink.endpoint, error) }
                        return nil
                    }
                }
            }
            var failures = [[(sink: Endpoint, error: FerryError)]](repeating: [], count: items.count)
            for await sinkFailures in group {
                for (index, sink, error) in sinkFailures { failures[index].append((sink, error)) }
            }
            return failures
        }
    }
}
