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
                    for try await delivery in subscription { await settle(delivery) }
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
