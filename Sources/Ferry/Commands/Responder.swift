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
        publishers = PublisherCache(transports: transports, labelsByBroker: true)
    }

    func handle(_ delivery: Delivery) async throws {
        let command = delivery.event
        // Where the answer goes, checked before anything runs: a command that cannot be answered
        // is refused whole, not handled and then retried for want of an address.
        guard let address = command.extensions[ReplyAddress.attribute], ReplyAddress.isValid(address),
            let replies = try? transports.transport(for: subscription.endpoint).replyEndpoint(for: address, near: subscription.endpoint)
        else {
            throw PermanentFailure(
                DeadLetterReason(.decode, "command \(command.id) carries no reply address Ferry wrote ('replyto'): nobody to answer"))
        }
        let to = (endpoint: replies, address: address)
        let key = IdempotencyKey.of(command, scope: subscription.options.group)
        switch try await store.reserve(key, for: options.reservation) {
        case .done:
            try await send(try await kept(key, for: command), to: to)
            return
        case .inProgress:  // another member handles it: back later, no attempt counted
            let delay = min(options.reservation, options.retry.maxDelay)
            try await delivery.postpone(after: delay)
            throw SettledByHandler(.deferred(delay))
        case .acquired(let attempt):
            delivery.raiseAttempt(to: attempt)  // the store counts the tries that crashed the responder
        }
        if delivery.attempt > options.retry.maxAttempts {
            try await refuse(
                delivery, key,
                DeadLetterReason(
                    .crashed, "delivered \(delivery.attempt) times and never answered: the responder stopped while handling it"),
                to: to)
        }
        let reply: Event
        do {
            reply = try answer(command, with: try await run(delivery))
        } catch let failure as CommandFailure {
            reply = try answer(command, failure: failure)
        } catch {
            guard let reason = options.deadLetterReason(for: error, attempt: delivery.attempt) else {
                try? await store.release(key)
                throw error  // retried; the requester waits
            }
            try await refuse(delivery, key, reason, to: to)
        }
        // Kept before it is sent: a crash after this answers a redelivery from the store.
        let kept = try JSONEncoder().encode(KeptReply(source: command.source, reply: try StructuredFormat.encode(reply)))
        if kept.count <= Self.largestKept {
            try await store.complete(key, retention: options.retention, keeping: kept)
        } else {
            try await store.complete(key, retention: options.retention)
        }
        try await send(reply, to: to)
    }

    /// Replies larger than this are not kept (a redelivery is told the outcome is unknown):
    /// the memory store holds up to 100,000 keys.
    static var largestKept: Int { 64 * 1024 }

    /// What the store keeps for a handled command: its reply, and the source of the command it
    /// answered, so that another sender reusing the key is not handed someone else's reply.
    private struct KeptReply: Codable {
        var source: String
        var reply: Data
    }

    /// Dead-letters the command, then tells the requester it failed: by the reason's class, not
    /// the error's text (which may name internals), and only once the dead letter is written.
    private func refuse(
        _ delivery: Delivery, _ key: String, _ reason: DeadLetterReason, to: (endpoint: Endpoint, address: String)
    ) async throws -> Never {
        try? await store.forget(key)  // a replay from the dead letters is handled afresh
        try await delivery.deadLetter(reason)
        let command = delivery.event
        let failure = CommandFailure(
            code: reason.code.name,
            message: "command \(command.id) went to the dead letters (\(reason.code)) on attempt \(delivery.attempt)")
        do {
            try await send(try answer(command, failure: failure), to: to)
        } catch {
            logger.warning(
                "a dead-lettered command could not be answered; its requester times out",
                metadata: ["id": "\(command.id)", "error": "\(error)"])
        }
        throw SettledByHandler(.deadLettered(reason))
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

    /// The reply kept for a command handled before, naming this delivery of it as its cause; a
    /// failure reply when none is kept or it was another sender's.
    private func kept(_ key: String, for command: Event) async throws -> Event {
        guard let bytes = try await store.outcome(of: key), let kept = try? JSONDecoder().decode(KeptReply.self, from: bytes) else {
            return try answer(
                command,
                failure: CommandFailure(code: "unknown-outcome", message: "command \(command.id) was handled, but its reply is not kept"))
        }
        guard kept.source == command.source else {
            return try answer(
                command,
                failure: CommandFailure(code: "duplicate", message: "a command with this idempotency key was handled for another sender"))
        }
        var reply = try StructuredFormat.decode(kept.reply, where: "the reply kept for command \(command.id)")
        reply.correlate(with: command)
        return reply
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

    /// Sends `reply`, naming the requester it is for (requesters may share a destination). A
    /// reply the broker refuses for good (the requester's queue is gone) is dropped: the command
    /// was carried out, and its reply is kept for a requester that asks again.
    private func send(_ reply: Event, to: (endpoint: Endpoint, address: String)) async throws {
        var reply = reply
        reply.extensions[ReplyAddress.attribute] = to.address
        do {
            _ = try await publishers.publish(reply, to: to.endpoint)
        } catch let error as FerryError where !error.isRetriable {
            logger.warning(
                "a reply could not be delivered: its requester is gone, or the broker refused it",
                metadata: ["command": "\(reply.causationid ?? "")", "error": "\(error)"])
        }
    }
}
