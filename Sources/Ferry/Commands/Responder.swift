import Foundation
import Logging
import ServiceLifecycle

/// Handles the commands of one type sent to its subscription and answers each on the broker it
/// came from (`Requester`): with the handler's reply, or a failure reply when the handler
/// throws a `CommandFailure` or fails for good. Runs on a `Consumer`, so retries, dead letters,
/// attempts, concurrency and graceful shutdown are the same as for events.
///
/// A command delivered again (a redelivery, a requester asking again) does not run its handler
/// twice: the reply is kept with the command's idempotency key (`options.idempotency`, memory
/// when nil) and sent again. Only failures the retry policy gives up on are answered; the
/// others are retried, and the requester waits.
public final class Responder<C: Command>: Service {
    public typealias Handler = @Sendable (C, Delivery) async throws -> C.Reply

    private let consumer: Consumer

    /// `transports` opens the publishers replies go out on. `source`: the replies' `source`.
    public init(
        subscription: Subscription, transports: Transports, source: String = "ferry:responder",
        options: ConsumerOptions = ConsumerOptions(), logger: Logger, handler: @escaping Handler
    ) {
        let answering = Answering<C>(
            subscription: subscription, transports: transports, source: source, options: options, logger: logger, handler: handler)
        var inner = options
        inner.idempotency = nil  // the responder reserves and completes itself, keeping the reply
        inner.handlerTimeout = nil  // applied around the handler, so a timeout is answered too
        consumer = Consumer(subscription: subscription, options: inner, logger: logger) { delivery in
            try await answering.handle(delivery)
        }
    }

    public var health: PipelineHealth { consumer.health }

    public func run() async throws { try await consumer.run() }
}

/// What a `Responder` does with each command; its own type so that `Responder` stays the
/// small public face of it.
private final class Answering<C: Command>: Sendable {
    let subscription: Subscription
    let transports: Transports
    let source: String
    let options: ConsumerOptions
    let store: any IdempotencyStore
    let logger: Logger
    let handler: Responder<C>.Handler
    let publishers: PublisherCache

    init(
        subscription: Subscription, transports: Transports, source: String, options: ConsumerOptions, logger: Logger,
        handler: @escaping Responder<C>.Handler
    ) {
        self.subscription = subscription
        self.transports = transports
        self.source = source
        self.options = options
        self.store = options.idempotency ?? MemoryIdempotencyStore()
        self.logger = logger
        self.handler = handler
        publishers = PublisherCache(transports: transports)
    }

    func handle(_ delivery: Delivery) async throws {
        let command = delivery.event
        guard let address = command.extensions[ReplyAddress.attribute], ReplyAddress.isValid(address) else {
            throw PermanentFailure(
                DeadLetterReason(.decode, "command \(command.id) carries no reply address Ferry wrote ('replyto'): nobody to answer"))
        }
        let key = IdempotencyKey.of(command, scope: subscription.options.group)
        switch try await store.reserve(key, for: options.reservation) {
        case .done:
            try await send(try await kept(key, of: command), to: address)
            return
        case .inProgress:
            throw FerryError(.timeout, "command \(command.id) is being handled elsewhere", isRetriable: true)
        case .acquired:
            break
        }
        let reply: Event
        do {
            reply = try answer(command, with: try await run(delivery))
        } catch let failure as CommandFailure {
            reply = try answer(command, failure: failure)
        } catch {
            try? await store.release(key)
            // Answered only once the policy gives up on it; until then it is retried.
            if let reason = options.deadLetterReason(for: error, attempt: delivery.attempt) {
                try? await store.forget(key)  // a replay from the dead letters is handled afresh
                do {
                    try await send(
                        try answer(command, failure: CommandFailure(code: reason.code.name, message: reason.message)), to: address)
                } catch {
                    logger.warning(
                        "a command that goes to the dead letters could not be answered; its requester times out",
                        metadata: ["id": "\(command.id)", "error": "\(error)"])
                }
            }
            throw error
        }
        try await store.complete(key, retention: options.retention, keeping: try StructuredFormat.encode(reply))
        try await send(reply, to: address)
    }

    /// The handler, within `options.handlerTimeout`.
    private func run(_ delivery: Delivery) async throws -> C.Reply {
        let command = try delivery.event.decode(C.self)
        guard let limit = options.handlerTimeout else { return try await handler(command, delivery) }
        return try await withThrowingTaskGroup(of: C.Reply?.self) { group in
            group.addTask { [handler] in try await handler(command, delivery) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() ?? nil else { throw HandlerTimeout(limit: limit) }
            return reply
        }
    }

    /// The reply kept for a command handled before; a failure reply when it is no longer kept.
    private func kept(_ key: String, of command: Event) async throws -> Event {
        guard let bytes = try await store.outcome(of: key) else {
            return try answer(
                command,
                failure: CommandFailure(
                    code: "unknown-outcome", message: "command \(command.id) was handled, but its reply is no longer kept"))
        }
        return try StructuredFormat.decode(bytes, where: "the reply kept for command \(command.id)")
    }

    private func answer(_ command: Event, with reply: C.Reply) throws(FerryError) -> Event {
        var event = try Event(reply, source: source)
        event.correlate(with: command)
        return event
    }

    private func answer(_ command: Event, failure: CommandFailure) throws(FerryError) -> Event {
        let data: Data
        do { data = try JSONEncoder().encode(failure) } catch {
            throw FerryError(.invalidEvent, "a failure reply does not encode: \(error)")
        }
        var event = Event(source: source, type: CommandFailure.eventType, datacontenttype: "application/json", data: data)
        event.correlate(with: command)
        return event
    }

    /// Sends `reply`, naming the requester it is for (requesters may share a destination).
    private func send(_ reply: Event, to address: String) async throws {
        var reply = reply
        reply.extensions[ReplyAddress.attribute] = address
        let transport = try transports.transport(for: subscription.endpoint)
        let endpoint = try transport.replyEndpoint(for: address, near: subscription.endpoint)
        _ = try await publishers.publisher(for: endpoint).publish(reply)
    }
}
