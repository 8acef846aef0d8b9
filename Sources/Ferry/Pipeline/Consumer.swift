import Instrumentation
import Logging
import ServiceLifecycle
import Tracing

/// Runs a handler over a subscription with Ferry's guarantees, the same on every backend:
/// duplicates (by idempotency key) are acked without calling the handler, failures are
/// retried with backoff, and an event that keeps failing, or fails for good, is dead-lettered
/// with its reason. The delivery is acked only after the handler has succeeded.
public final class Consumer: Service {
    public typealias Handler = @Sendable (Delivery) async throws -> Void

    private let subscription: Subscription
    private let options: ConsumerOptions
    private let pipeline: DeliveryPipeline
    private let handler: Handler

    public init(subscription: Subscription, options: ConsumerOptions = ConsumerOptions(), logger: Logger, handler: @escaping Handler) {
        self.subscription = subscription
        self.options = options
        self.handler = handler
        let group = subscription.options.group
        pipeline = DeliveryPipeline(scope: group, endpoint: subscription.endpoint, group: group, options: options, logger: logger)
    }

    /// How settling goes: whether it fails now (the idempotency store is down...), since when,
    /// the last error, and the lag. For a service's own health check.
    public var health: PipelineHealth { pipeline.health }

    /// Handles deliveries until the subscription ends or a graceful shutdown is requested; then
    /// the delivery in hand is finished and settled, and the subscription closed (also when
    /// `run` throws, which only a failing subscription makes it do). A delivery that cannot be
    /// settled (the idempotency store or the broker fails) is handed back to come again, and
    /// the consumer pauses with a growing backoff until settling works again: see `health`.
    /// The group's lag is recorded every 10 seconds (`ferry_consumer_lag`).
    public func run() async throws {
        let lagProbe = Task { [pipeline, subscription] in await pipeline.probeLag(of: subscription, every: .seconds(10)) }
        defer { lagProbe.cancel() }
        do {
            try await withGracefulShutdownHandler {
                if options.concurrency > 1 {
                    try await runConcurrently()
                } else {
                    try await runInBatches()
                }
            } onGracefulShutdown: { [subscription] in
                subscription.stop()
            }
        } catch {
            await subscription.close()
            throw error
        }
        await subscription.close()
    }

    /// One handler at a time, over batches of what the source has fetched: each batch costs one
    /// reservation and one completion in the idempotency store; each event is acked after its
    /// handler. The store works beside the handlers: the last batch is completed, and while
    /// handlers are fast beside the reservation the next one admitted, while this one is
    /// handled; a batch is at most half the prefetch, so the broker can hand out the next one
    /// meanwhile. Batches grow while handlers are fast enough
    /// (`ReservationWindow`); a graceful shutdown finishes the batches in hand.
    private func runInBatches() async throws {
        let limit = max(1, subscription.options.prefetch / 2)
        var window = ReservationWindow(limit: limit, reservation: options.reservation)
        func size() -> Int { options.idempotency == nil ? limit : window.size }
        var upcoming = Task { [size = size()] in try await take(max: size, after: []) }
        var finishing: Task<Void, Never>?
        var previousKeys = Set<String>()
        do {
            while let batch = try await withTaskCancellationHandler(
                operation: { try await upcoming.value }, onCancel: { [upcoming] in upcoming.cancel() })
            {
                // The next batch is admitted while this one is handled only while handlers are
                // fast beside a reservation; keys of batches not yet done wait in it until they are.
                let ahead = options.idempotency == nil || window.admitsAhead
                let held = previousKeys.union(batch.keys)
                if ahead { upcoming = Task { [size = size()] in try await take(max: size, after: held) } }
                previousKeys = batch.keys
                let (handled, slowest) = await handle(batch.admitted)
                await finishing?.value
                finishing = Task { await finish(handled) }
                if !batch.repeated.isEmpty {
                    await finishing?.value  // their first copies are done before they are admitted
                    finishing = nil
                    await settle(repeated: batch.repeated)
                }
                window.observe(slowest: slowest)
                if !ahead { upcoming = Task { [size = size()] in try await take(max: size, after: held) } }
            }
        } catch {
            upcoming.cancel()
            await finishing?.value
            throw error
        }
        await finishing?.value
    }

    /// Deliveries taken from the source and admitted, and those whose key came earlier (in the
    /// batch, or in one not done yet: a producer's retry), admitted only once the first are
    /// settled; `keys` are those admitted.
    private struct AdmittedBatch: Sendable {
        var admitted: [(delivery: Delivery, admission: Result<DeliveryPipeline.Admission, any Error>)]
        var repeated: [Delivery]
        var keys: Set<String>
    }

    /// The next batch from the source, admitted but for the keys in `held`; nil once the
    /// source has ended.
    private func take(max: Int, after held: Set<String>) async throws -> AdmittedBatch? {
        await pipeline.pauseWhileFailing()  // before reserving: no reservation ages in a pause
        let batch = try await subscription.nextBatch(max: max)
        guard !batch.isEmpty else { return nil }
        let (first, repeated) = splitRepeated(batch, after: held)
        return AdmittedBatch(admitted: await admit(first), repeated: repeated, keys: Set(first.compactMap(\.key)))
    }

    /// Repeated deliveries, admitted, handled and settled one round after another.
    private func settle(repeated: [Delivery]) async {
        var waiting = repeated
        while !waiting.isEmpty {
            let (first, again) = splitRepeated(waiting, after: [])
            await finish(await handle(await admit(first)).handled)
            waiting = again
        }
    }

    /// The deliveries of a batch whose idempotency key (nil without deduplication) is neither in
    /// `held` nor came earlier in it, and the others.
    private func splitRepeated(_ batch: [Delivery], after held: Set<String>) -> (
        first: [(delivery: Delivery, key: String?)], repeated: [Delivery]
    ) {
        guard options.idempotency != nil else { return (batch.map { ($0, nil) }, []) }
        var keys = Set<String>()
        var first: [(delivery: Delivery, key: String?)] = []
        var repeated: [Delivery] = []
        for delivery in batch {
            let key = pipeline.key(for: delivery.event)
            if !held.contains(key) && keys.insert(key).inserted { first.append((delivery, key)) } else { repeated.append(delivery) }
        }
        return (first, repeated)
    }

    /// Validates the deliveries (the invalid are dead-lettered here) and admits the others with
    /// one call to the idempotency store; if that fails, they are handed back.
    private func admit(
        _ batch: [(delivery: Delivery, key: String?)]
    ) async -> [(delivery: Delivery, admission: Result<DeliveryPipeline.Admission, any Error>)] {
        var valid = batch
        if let schemas = options.schemas {
            valid = []
            for item in batch {
                do {
                    _ = try schemas.prepare(item.delivery.event)
                    valid.append(item)
                } catch {
                    await settle(item.delivery) { try await self.pipeline.rejectInvalid(item.delivery, error) }
                }
            }
        }
        let deliveries = valid.map(\.delivery)
        do {
            let keys = options.idempotency == nil ? nil : valid.map { $0.key! }
            return zip(deliveries, try await pipeline.admit(deliveries, keys: keys)).map { ($0, $1) }
        } catch {
            await pipeline.giveBack(deliveries, error)
            return []
        }
    }

    /// Runs the handler of each admitted delivery, one after another, and acks it; a failure is
    /// settled at once (retry or dead letter). Returns the tickets of those handled and acked,
    /// and the longest a handler took.
    private func handle(
        _ admitted: [(delivery: Delivery, admission: Result<DeliveryPipeline.Admission, any Error>)]
    ) async -> (handled: [DeliveryPipeline.Ticket], slowest: Duration) {
        var handled: [DeliveryPipeline.Ticket] = []
        var slowest = Duration.zero
        for (delivery, admission) in admitted {
            switch admission {
            case .failure(let error):
                await pipeline.giveBack(delivery, error)
            case .success(.settled):
                continue
            case .success(.handle(let ticket)):
                // Cancelled: left for the broker to hand out again. A reservation that could
                // run out during the handler (the batch waited long): released, to come again.
                guard !Task.isCancelled, pipeline.isFresh(ticket) else {
                    await pipeline.handBack(ticket, comeAgain: !Task.isCancelled)
                    continue
                }
                let started = ContinuousClock.now
                do {
                    try await runHandler(delivery)
                } catch {
                    await settle(delivery) { try await self.pipeline.failed(ticket, error) }
                    slowest = max(slowest, .now - started)
                    continue
                }
                slowest = max(slowest, .now - started)
                do {
                    try await delivery.ack()
                    handled.append(ticket)
                } catch {
                    await pipeline.giveBack(delivery, error)
                }
            }
        }
        return (handled, slowest)
    }

    /// Marks the handled and acked deliveries done; what cannot be settled is handed back.
    private func finish(_ handled: [DeliveryPipeline.Ticket]) async {
        await pipeline.succeeded(handled, acked: true)
    }

    /// Settles one delivery with `body`; one that cannot be settled is handed back.
    private func settle(_ delivery: Delivery, _ body: () async throws -> ConsumerOutcome) async {
        do {
            _ = try await body()
        } catch {
            await pipeline.giveBack(delivery, error)
        }
    }

    /// Up to `concurrency` handlers at once, one at a time per partition key (`KeyedWork`).
    /// When the source ends or a graceful shutdown stops it, the handlers in hand finish.
    private func runConcurrently() async throws {
        let work = Locked(KeyedWork<Delivery>(limit: options.concurrency))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for try await delivery in subscription {
                let key = delivery.event.partitionkey
                if case .start = work.withLock({ $0.admit(delivery, key: key) }) {
                    group.addTask { [self] in
                        var next: Delivery? = delivery
                        while let current = next {
                            await settle(current)
                            next = work.withLock { $0.finish(key: key) }
                        }
                    }
                }
                while !work.withLock({ $0.hasRoom }) { _ = try await group.next() }
            }
            try await group.waitForAll()
        }
    }

    /// Handles a delivery; one that cannot be settled is handed back (fail closed).
    private func settle(_ delivery: Delivery) async {
        do {
            _ = try await process(delivery)
        } catch {
            await pipeline.giveBack(delivery, error)
            await pipeline.pauseWhileFailing()
        }
    }

    /// Handles one delivery and settles it.
    public func process(_ delivery: Delivery) async throws -> ConsumerOutcome {
        if let schemas = options.schemas {
            do {
                _ = try schemas.prepare(delivery.event)
            } catch {
                return try await pipeline.rejectInvalid(delivery, error)
            }
        }
        switch try await pipeline.admit(delivery) {
        case .settled(let outcome):
            return outcome
        case .handle(let ticket):
            do {
                try await runHandler(delivery)
            } catch {
                return try await pipeline.failed(ticket, error)
            }
            return try await pipeline.succeeded(ticket)
        }
    }

    /// Runs the handler in a consumer span that continues the trace the event carries, so
    /// events the handler publishes carry it on.
    private func runHandler(_ delivery: Delivery) async throws {
        var context = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(delivery.event, into: &context, using: EventExtractor())
        try await withSpan("process \(delivery.event.type)", context: context, ofKind: .consumer) { span in
            span.attributes["messaging.message.id"] = delivery.event.id
            span.attributes["messaging.destination.name"] = delivery.position.destination
            try await runHandlerWithTimeout(delivery)
        }
    }

    private func runHandlerWithTimeout(_ delivery: Delivery) async throws {
        guard let limit = options.handlerTimeout else { return try await handler(delivery) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [handler] in
                try await handler(delivery)
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            guard try await group.next() == true else { throw HandlerTimeout(limit: limit) }
        }
    }
}
