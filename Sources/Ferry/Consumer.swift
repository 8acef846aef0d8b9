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
    private let logger: Logger
    private let handler: Handler

    public init(subscription: Subscription, options: ConsumerOptions = ConsumerOptions(), logger: Logger, handler: @escaping Handler) {
        self.subscription = subscription
        self.options = options
        self.logger = logger
        self.handler = handler
    }

    /// Handles deliveries until the subscription ends or a graceful shutdown is requested; then
    /// the delivery in hand is finished and the subscription closed.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await delivery in self.subscription {
                _ = try await self.process(delivery)
            }
        }
        await subscription.close()
    }

    /// Handles one delivery and settles it.
    public func process(_ delivery: Delivery) async throws -> ConsumerOutcome {
        if let schemas = options.schemas {
            do {
                _ = try schemas.prepare(delivery.event)
            } catch {
                return try await fail(delivery, error)
            }
        }
        let key = "\(subscription.options.group)|\(delivery.event.idempotencykey ?? "\(delivery.event.source)#\(delivery.event.id)")"
        if let store = options.idempotency {
            switch try await store.reserve(key, for: options.reservation) {
            case .acquired: break
            case .done:
                try await delivery.ack()
                logger.debug("duplicate acknowledged without handling", metadata: ["event": "\(delivery.event.id)"])
                return .duplicate
            case .inProgress:
                let delay = min(options.reservation, options.retry.maxDelay)
                try await delivery.retry(after: delay, reason: "another handler holds this event")
                return .deferred(delay)
            }
        }
        do {
            try await runHandler(delivery)
        } catch {
            try? await options.idempotency?.release(key)
            return try await fail(delivery, error)
        }
        try await delivery.ack()
        try await options.idempotency?.complete(key, retention: options.retention)
        return .handled
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

    private func fail(_ delivery: Delivery, _ error: any Error) async throws -> ConsumerOutcome {
        let reason: DeadLetterReason?
        switch error {
        case let permanent as PermanentFailure:
            reason = permanent.reason
        case let ferry as FerryError where ferry.code == .payloadDecoding:
            reason = DeadLetterReason(.decode, ferry.message)
        case let ferry as FerryError where ferry.code == .schemaViolation:
            reason = DeadLetterReason(.schema, ferry.message)
        case let timeout as HandlerTimeout where delivery.attempt >= options.retry.maxAttempts:
            reason = DeadLetterReason(.timeout, "\(timeout) on attempt \(delivery.attempt) of \(options.retry.maxAttempts)")
        case _ where !options.retry.isRetryable(error):
            reason = DeadLetterReason(.handler, "\(error)")
        case _ where delivery.attempt >= options.retry.maxAttempts:
            reason = DeadLetterReason(.retriesExhausted, "failed \(delivery.attempt) times; last error: \(error)")
        default:
            reason = nil
        }
        if let reason {
            logger.warning("event dead-lettered", metadata: ["event": "\(delivery.event.id)", "reason": "\(reason)"])
            try await delivery.deadLetter(reason)
            return .deadLettered(reason)
        }
        let delay = options.retry.delay(after: delivery.attempt)
        logger.debug("event will be retried", metadata: ["event": "\(delivery.event.id)", "attempt": "\(delivery.attempt)", "error": "\(error)"])
        try await delivery.retry(after: delay, reason: "\(error)")
        return .retried(delay)
    }
}
