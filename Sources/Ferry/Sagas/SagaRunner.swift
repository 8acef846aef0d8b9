import Foundation
import Logging
import ServiceLifecycle

/// Runs a saga: reads the events that begin instances, the replies to the saga's commands and
/// the events its steps await, takes each instance's turn (`SagaProgress`), sends the
/// commands, and keeps the instance in `store`, each save on the version it read.
///
/// The commands of a turn go out before the turn is saved, and carry ids fixed by their
/// instance and step: a process that dies in between takes the same turn again when the input
/// comes back, and the responders answer the repeated commands from what they kept. Replies
/// come back to a durable route per broker, named after the saga, so a process that restarts
/// reads the replies that came while it was down.
public final class SagaRunner<State: Codable & Sendable>: Service {
    private let progress: SagaProgress<State>
    private let saga: Saga<State>
    private let starts: Subscription
    private let transports: Transports
    private let store: any SagaStore
    private let options: ConsumerOptions
    private let logger: Logger
    private let publishers: PublisherCache

    /// `starts`: where the events that begin instances arrive. `options`: retries and dead
    /// letters for inputs that cannot be taken (its idempotency store is not used: the saga
    /// store knows which inputs each instance took).
    public init(
        saga: Saga<State>, starts: Subscription, transports: Transports, store: any SagaStore,
        options: ConsumerOptions = ConsumerOptions(), logger: Logger
    ) {
        self.saga = saga
        progress = SagaProgress(saga)
        self.starts = starts
        self.transports = transports
        self.store = store
        var inner = options
        inner.idempotency = nil
        self.options = inner
        self.logger = logger
        publishers = PublisherCache(transports: transports)
    }

    public func run() async throws {
        // One durable reply route per broker the steps send to; each command names its own.
        var routes: [String: ReplyRoute] = [:]
        var replyTo: [Endpoint: String] = [:]
        for step in saga.steps {
            let replied = (step.awaiting == nil ? [step.destination] : []) + [step.compensation?.destination].compactMap { $0 }
            for destination in replied {
                let transport = try transports.transport(for: destination)
                let broker = try ReplyAddress.broker(of: destination, on: transport)
                if routes[broker] == nil {
                    routes[broker] = try await transport.openReplies(near: destination, id: "saga-\(saga.name)", durable: true)
                }
                replyTo[destination] = routes[broker]!.address
            }
        }
        // The awaited events, each destination read once, in a group named after the saga.
        var awaited: [Subscription] = []
        for events in Set(saga.steps.compactMap(\.awaiting?.events)) {
            let group = SubscribeOptions(group: "saga-\(saga.name)")
            awaited.append(try await transports.transport(for: events).subscribe(to: events, options: group))
        }
        let replyAddresses = replyTo
        let consumers =
            [
                Consumer(subscription: starts, options: options, logger: logger) { [self] delivery in
                    if delivery.event.type == SagaProgress<State>.timerType {
                        try await fire(delivery, replyAddresses)
                    } else {
                        try await take(delivery.event, as: .start, replyAddresses)
                    }
                }
            ]
            + routes.values.map { route in
                Consumer(subscription: route.subscription, options: options, logger: logger) { [self] delivery in
                    // Replies to others on a shared destination (a Kafka partition) are passed over.
                    guard delivery.event.extensions[ReplyAddress.attribute] == route.address else { return }
                    try await take(delivery.event, as: .reply, replyAddresses, delivery)
                }
            }
            + awaited.map { subscription in
                Consumer(subscription: subscription, options: options, logger: logger) { [self] delivery in
                    guard let (step, instance) = progress.awaited(delivery.event, on: subscription.endpoint) else { return }
                    try await take(delivery.event, as: .awaited(step: step, instance: instance), replyAddresses, delivery)
                }
            }
        let opened = awaited
        defer {
            Task {
                await publishers.close()
                for subscription in opened { await subscription.close() }
            }
        }
        try await withThrowingDiscardingTaskGroup { group in
            for consumer in consumers { group.addTask { try await consumer.run() } }
        }
    }

    /// What an input is to the saga.
    private enum Input {
        /// An event on the start destination, which may begin an instance.
        case start
        /// A reply to one of the saga's commands (or a fired timer, standing for one).
        case reply
        /// An event of another service that `step` of `instance` waits for.
        case awaited(step: Int, instance: String)
    }

    /// A step's timer: held back by the broker until due (no attempt counted), then taken as
    /// the step's failure, which the instance passes over if the step was answered in time.
    private func fire(_ delivery: Delivery, _ replyTo: [Endpoint: String]) async throws {
        guard let timer = try? JSONDecoder().decode(SagaProgress<State>.Timer.self, from: delivery.event.data) else {
            throw PermanentFailure(DeadLetterReason(.decode, "saga \(saga.name): timer \(delivery.event.id) does not decode"))
        }
        let left = timer.due - Event.micros(of: Date())
        if left > 0 {
            let delay = Duration.microseconds(left)
            try await delivery.postpone(after: delay)
            throw SettledByHandler(.deferred(delay))
        }
        try await take(try progress.failure(firedBy: delivery.event), as: .reply, replyTo)
    }

    /// Takes `input` into its instance. A save that lost to another process's reads the
    /// instance again and takes the input afresh (or finds it taken).
    private func take(_ input: Event, as kind: Input, _ replyTo: [Endpoint: String], _ delivery: Delivery? = nil) async throws {
        for _ in 0..<8 {
            let turn: SagaProgress<State>.Turn
            let expected: Int
            switch kind {
            case .start:
                guard let begun = try progress.begin(input) else { return }
                if try await store.load(saga: saga.name, id: begun.record.id) != nil { return }  // begun already
                (turn, expected) = (begun, 0)
            case .reply:
                guard let id = input.correlationid else { return }
                let record = try await store.load(saga: saga.name, id: id)
                if let delivery, progress.isAhead(input, of: record, instance: id) { try await comeBack(delivery) }
                guard let record, let next = try progress.advance(record, with: input) else { return }
                (turn, expected) = (next, record.version)
            case .awaited(let step, let id):
                let record = try await store.load(saga: saga.name, id: id)
                if let delivery, progress.isAhead(input, awaitedBy: step, of: record) { try await comeBack(delivery) }
                guard let record, let next = try progress.advance(record, awaited: input, step: step) else { return }
                (turn, expected) = (next, record.version)
            }
            for send in turn.sends {
                var command = send.command
                if send.undo || saga.steps[send.step].awaiting == nil {
                    command.extensions[ReplyAddress.attribute] = replyTo[send.destination]
                }
                _ = try await publishers.publish(command, to: send.destination)
                if let timer = try progress.timer(for: send) { _ = try await publishers.publish(timer, to: starts.endpoint) }
            }
            if try await store.save(turn.record, expected: expected) {
                logger.debug(
                    "saga turn taken",
                    metadata: ["saga": "\(saga.name)", "instance": "\(turn.record.id)", "status": "\(turn.record.status)"])
                return
            }
        }
        throw FerryError(
            .timeout, "saga \(saga.name): input \(input.id) lost every save to other writers of its instance", isRetriable: true)
    }

    /// Holds back an input that came before its instance saved the turn it answers.
    private func comeBack(_ delivery: Delivery) async throws -> Never {
        try await delivery.postpone(after: .milliseconds(500))
        throw SettledByHandler(.deferred(.milliseconds(500)))
    }
}
