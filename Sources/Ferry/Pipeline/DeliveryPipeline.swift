import Foundation
import Logging
import Synchronization

/// Ferry's guarantees around each delivery, written once for every broker and every caller
/// (the `Consumer`, relay routes, `ferry tail --dedup`): duplicates recognised by one key
/// formula, attempts counted the same way everywhere (crashes included), one failure policy
/// that picks between a retry with backoff and a dead letter with its reason, and one set of
/// metrics. Adapters only carry out what it decides.
///
/// When a delivery cannot be settled (the idempotency store is down, an ack or a dead letter
/// fails), the pipeline fails closed: the delivery is handed back to the source with a backoff
/// that grows while failures go on, the caller pauses as long, the failure is logged once and
/// the recovery once, and `health` and `ferry_settle_failures` show it.
package final class DeliveryPipeline: Sendable {
    package enum Admission: Sendable {
        /// Handle the event, then pass the ticket to `succeeded` or `failed`.
        case handle(Ticket)
        /// Settled here: a duplicate, postponed while another handler holds it, or
        /// dead-lettered because it crashed its consumers too often.
        case settled(ConsumerOutcome)
    }

    package struct Ticket: Sendable {
        package let delivery: Delivery
        /// The idempotency key reserved for it; nil when deduplication is off.
        let key: String?
        /// When it was admitted, where handler durations are measured.
        let admitted: ContinuousClock.Instant?
    }

    private let scope: String
    private let options: ConsumerOptions
    private let metrics: PipelineMetrics
    private let timesHandlers: Bool
    private let logger: Logger
    private let state = Locked(HealthState())
    /// Whether settling fails now (set and cleared under `state`'s lock): lets `settled` skip
    /// the lock for every delivery while all is well.
    private let failing = Atomic<Bool>(false)
    /// When a delivery was last settled, in seconds since 1970 (0: never). Written for every
    /// delivery, so an atomic rather than the lock.
    private let lastSettledSeconds = Atomic<Int64>(0)

    private struct HealthState: Sendable {
        var health = PipelineHealth()
        /// The give-back delay now: grows while settling fails, back to the start on success.
        var backoff: Duration?
    }

    /// `scope` separates the keys of different consumers of one event (a group, a route).
    /// Without `timesHandlers` no handler duration is recorded (a relay has no handler; its
    /// sinks' confirm latency is measured per batch instead).
    package init(
        scope: String, endpoint: Endpoint, group: String, options: ConsumerOptions, dimensions: [(String, String)] = [],
        timesHandlers: Bool = true, logger: Logger
    ) {
        self.scope = scope
        self.options = options
        self.timesHandlers = timesHandlers
        self.logger = logger
        metrics = PipelineMetrics(endpoint: endpoint, group: group, dimensions: dimensions)
    }

    package var health: PipelineHealth {
        var health = state.withLock { $0.health }
        let seconds = lastSettledSeconds.load(ordering: .relaxed)
        health.lastSettled = seconds == 0 ? nil : Date(timeIntervalSince1970: Double(seconds))
        return health
    }

    /// The key duplicates of `event` are recognised by in this pipeline.
    package func key(for event: Event) -> String { IdempotencyKey.of(event, scope: scope) }

    /// Checks for a duplicate, reserves the event's key and counts the attempt. An event
    /// delivered more often than the retry policy allows without ever being settled is
    /// dead-lettered with reason `crashed`: it took its consumer down each time.
    /// `key` saves computing `key(for:)` again where the caller has it.
    package func admit(_ delivery: Delivery, key known: String? = nil) async throws -> Admission {
        metrics.received.increment()
        guard let store = options.idempotency else { return try await admission(of: delivery, nil) }
        let key = known ?? self.key(for: delivery.event)
        return try await admission(of: delivery, (key, try await store.reserve(key, for: options.reservation)))
    }

    /// Admits a batch with one call to the idempotency store (one round trip or transaction);
    /// `keys`, one per delivery, saves computing them again. Throws when that call fails
    /// (nothing was admitted); otherwise each delivery's admission, or the error that kept it
    /// from being settled (to hand it back).
    package func admit(_ deliveries: [Delivery], keys known: [String]? = nil) async throws -> [Result<Admission, any Error>] {
        metrics.received.increment(by: deliveries.count)
        var reserved: [(key: String, IdempotencyReservation)?] = Array(repeating: nil, count: deliveries.count)
        if let store = options.idempotency, !deliveries.isEmpty {
            let keys = known ?? deliveries.map { key(for: $0.event) }
            let reservations = try await store.reserve(keys, for: options.reservation)
            reserved = zip(keys, reservations).map { $0 }
        }
        var admissions: [Result<Admission, any Error>] = []
        admissions.reserveCapacity(deliveries.count)
        for (delivery, reserved) in zip(deliveries, reserved) {
            do {
                admissions.append(.success(try await admission(of: delivery, reserved)))
            } catch {
                admissions.append(.failure(error))
            }
        }
        return admissions
    }

    /// What a reservation (nil without deduplication) means for the delivery.
    private func admission(of delivery: Delivery, _ reserved: (key: String, IdempotencyReservation)?) async throws -> Admission {
        var key: String?
        switch reserved?.1 {
        case .done:
            try await delivery.ack()
            metrics.duplicates.increment()
            logger.debug("duplicate acknowledged without handling", metadata: ["event": "\(delivery.event.id)"])
            return .settled(settled(.duplicate))
        case .inProgress:
            let delay = min(options.reservation, options.retry.maxDelay)
            try await delivery.postpone(after: delay)
            return .settled(settled(.deferred(delay)))
        case .acquired(let attempt):
            delivery.raiseAttempt(to: attempt)
            key = reserved?.key
            delivery.holds(key: reserved?.key)
        case nil:
            break
        }
        if delivery.attempt > options.retry.maxAttempts {
            let reason = DeadLetterReason(
                .crashed,
                "delivered \(delivery.attempt) times, more than the \(options.retry.maxAttempts) attempts allowed, and never settled: the consumer stopped while handling it"
            )
            return .settled(try await deadLetter(delivery, reason, key: key))
        }
        return .handle(Ticket(delivery: delivery, key: key, admitted: timesHandlers ? .now : nil))
    }

    /// Acks the delivery, then marks its key done: a crash in between handles it again.
    package func succeeded(_ ticket: Ticket) async throws -> ConsumerOutcome {
        recordDuration(ticket)
        try await ticket.delivery.ack()
        if let key = ticket.key { try await options.idempotency?.complete(key, retention: options.retention) }
        metrics.handled.increment()
        return settled(.handled)
    }

    /// Acks each delivery (unless the caller has: `acked`), then marks the keys of those acked
    /// done with one call to the store. Those that cannot be settled are handed back together
    /// (`giveBack`); returns how many were settled as handled.
    @discardableResult
    package func succeeded(_ tickets: [Ticket], acked: Bool = false) async -> Int {
        var keys: [String] = []
        var unsettled: [Delivery] = []
        var failure: (any Error)?
        for ticket in tickets {
            recordDuration(ticket)
            do {
                if !acked { try await ticket.delivery.ack() }
                if let key = ticket.key { keys.append(key) }
            } catch {
                unsettled.append(ticket.delivery)
                failure = failure ?? error
            }
        }
        if let store = options.idempotency, !keys.isEmpty {
            do {
                try await store.complete(keys, retention: options.retention)
            } catch {
                // Acked, but not marked done: the same as a crash between the two.
                await giveBack(tickets.map(\.delivery), error)
                return 0
            }
        }
        if let failure { await giveBack(unsettled, failure) }
        let handled = tickets.count - unsettled.count
        metrics.handled.increment(by: handled)
        if handled > 0 { _ = settled(.handled) }
        return handled
    }

    /// Retries the delivery with backoff, or dead-letters it with the reason the failure
    /// policy gives for `error`.
    package func failed(_ ticket: Ticket, _ error: any Error) async throws -> ConsumerOutcome {
        if let settledBy = error as? SettledByHandler { return settled(settledBy.outcome) }
        recordDuration(ticket)
        metrics.failed.increment()
        let delivery = ticket.delivery
        guard let reason = options.deadLetterReason(for: error, attempt: delivery.attempt) else {
            if let key = ticket.key { try? await options.idempotency?.release(key) }
            let delay = options.retry.delay(after: delivery.attempt)
            logger.debug(
                "event will be retried",
                metadata: ["event": "\(delivery.event.id)", "attempt": "\(delivery.attempt)", "error": "\(error)"])
            try await delivery.retry(after: delay, reason: "\(error)")
            metrics.retried.increment()
            return settled(.retried(delay))
        }
        return try await deadLetter(delivery, reason, key: ticket.key)
    }

    /// Dead-letters a delivery the caller refused before handling it (invalid schema, a loop).
    package func deadLetter(_ delivery: Delivery, _ reason: DeadLetterReason) async throws -> ConsumerOutcome {
        try await deadLetter(delivery, reason, key: nil)
    }

    /// Dead-letters a delivery whose event failed validation before handling
    /// (`SchemaRegistry.prepare`): reason `decode` or `schema`.
    package func rejectInvalid(_ delivery: Delivery, _ error: FerryError) async throws -> ConsumerOutcome {
        let reason = options.deadLetterReason(for: error, attempt: delivery.attempt) ?? DeadLetterReason(.schema, error.message)
        return try await deadLetter(delivery, reason, key: nil)
    }

    /// Records the source's lag every `interval` until the task is cancelled; `observe` sees
    /// each total.
    package func probeLag(of subscription: Subscription, every interval: Duration, _ observe: @Sendable (Int) -> Void = { _ in }) async {
        while !Task.isCancelled {
            if let entries = try? await subscription.lag() {
                let total = entries.reduce(0) { $0 + $1.lag }
                metrics.lag.record(total)
                state.withLock { $0.health.lag = total }
                observe(total)
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Hands back a delivery that could not be settled, to come again after a backoff that
    /// grows while failures go on (from the retry policy's first delay to its longest). No
    /// attempt is counted: the event was not tried. The first failure is logged; so is the
    /// recovery (`settled`). If even handing back fails, the broker delivers the event again
    /// once this member's connection or session ends. A delivery whose settling was cancelled
    /// (its consumer is stopping) is left unsettled: it goes back when the subscription closes.
    package func giveBack(_ delivery: Delivery, _ error: any Error) async {
        await giveBack([delivery], error)
    }

    /// Hands back deliveries that failed together (one call to the store for a batch): the
    /// backoff grows once for them all.
    package func giveBack(_ deliveries: [Delivery], _ error: any Error) async {
        guard !(error is CancellationError), let example = deliveries.first else { return }  // stopping: they go back on close
        metrics.settleFailures.increment(by: deliveries.count)
        let (delay, first) = state.withLock { state in
            let first = state.health.failingSince == nil
            if first { state.health.failingSince = Date() }
            failing.store(true, ordering: .relaxed)
            state.health.lastError = "\(error)"
            let delay = state.backoff ?? options.retry.initialDelay
            state.backoff = min(delay * 2, options.retry.maxDelay)
            return (delay, first)
        }
        if first {
            logger.warning(
                "deliveries cannot be settled; they are handed back and come again, with backoff, until this works again",
                metadata: ["event": "\(example.event.id)", "error": "\(error)"])
        }
        for delivery in deliveries {
            do {
                try await delivery.postpone(after: delay)
            } catch {
                logger.debug("could not hand a delivery back either", metadata: ["event": "\(delivery.event.id)", "error": "\(error)"])
            }
        }
    }

    /// Hands back an admitted delivery that was not handled (its consumer is stopping, or it
    /// waited so long that its reservation could run out during the handler): its key is
    /// released and the delivery comes again. Not a failure to settle.
    package func handBack(_ ticket: Ticket, comeAgain: Bool) async {
        if let key = ticket.key { try? await options.idempotency?.release(key) }
        if comeAgain { try? await ticket.delivery.postpone(after: .zero) }
    }

    /// Whether an admitted delivery still has at least half its reservation left.
    package func isFresh(_ ticket: Ticket) -> Bool {
        guard ticket.key != nil, let admitted = ticket.admitted else { return true }
        return ContinuousClock.now - admitted < options.reservation / 2
    }

    /// Waits the current give-back delay while settling fails, so that a consumer does not
    /// take one delivery after another only to hand each back.
    package func pauseWhileFailing() async {
        guard failing.load(ordering: .relaxed),
            let delay = state.withLock({ $0.health.failingSince == nil ? nil : $0.backoff })
        else { return }
        try? await Task.sleep(for: delay)
    }

    /// Records a settled delivery: a failure to settle, if there was one, is over.
    private func settled(_ outcome: ConsumerOutcome) -> ConsumerOutcome {
        lastSettledSeconds.store(Int64(time(nil)), ordering: .relaxed)
        guard failing.load(ordering: .relaxed) else { return outcome }
        let recovered = state.withLock { state in
            defer {
                state.health.failingSince = nil
                state.backoff = nil
                failing.store(false, ordering: .relaxed)
            }
            return state.health.failingSince != nil
        }
        if recovered { logger.notice("deliveries are settled again") }
        return outcome
    }

    private func recordDuration(_ ticket: Ticket) {
        guard let admitted = ticket.admitted else { return }
        metrics.handlerDuration.recordNanoseconds((ContinuousClock.now - admitted).nanoseconds)
    }

    /// A dead-lettered event is forgotten by the idempotency store, so that a replay of it from
    /// the dead-letter destination is handled afresh.
    private func deadLetter(_ delivery: Delivery, _ reason: DeadLetterReason, key: String?) async throws -> ConsumerOutcome {
        try await delivery.deadLetter(reason)
        if let key { try? await options.idempotency?.forget(key) }
        metrics.deadLettered.increment()
        logger.warning("event dead-lettered", metadata: ["event": "\(delivery.event.id)", "reason": "\(reason)"])
        return settled(.deadLettered(reason))
    }
}
