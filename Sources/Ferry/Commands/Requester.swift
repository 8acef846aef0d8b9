import Foundation
import Logging
import Metrics

/// Sends commands and waits for their replies, on any broker (`request`). A command goes to
/// its handlers' destination with the address of this requester's own reply destination
/// (`replyto`), which is opened on the same broker at the first request there; the reply names
/// the command as its cause (`causationid`), which is how it finds its request.
///
/// A reply that comes after its request timed out or was cancelled is dropped and counted
/// (`lateReplies`, `ferry_late_replies`); so is another reply to a request answered already,
/// apart (a command delivered twice is answered twice).
public final class Requester: Sendable {
    private typealias Waiter = CheckedContinuation<Event, any Error>

    private let transports: Transports
    private let source: String
    private let logger: Logger
    private let id = UUID().uuidString.lowercased()
    private let pending = Locked(PendingReplies<Waiter>())
    /// Reply routes by broker, and the tasks reading them.
    private let routes = Locked<[String: Task<ReplyRoute, any Error>]>([:])
    private let readers = Locked<[Task<Void, Never>]>([])
    private let publishers: PublisherCache
    private let late = Counter(label: "ferry_late_replies")

    /// `source`: the CloudEvents `source` of the commands sent.
    public init(transports: Transports, source: String = "ferry:requester", logger: Logger = Logger(label: "ferry.requester")) {
        self.transports = transports
        self.source = source
        self.logger = logger
        publishers = PublisherCache(transports: transports)
    }

    /// Replies that came when nobody waited for them any more.
    public var lateReplies: Int { pending.withLock { $0.lateReplies } }

    /// Replies to requests answered already (a command delivered again is answered again).
    package var duplicateReplies: Int { pending.withLock { $0.duplicateReplies } }

    /// Sends `command` to one handler at `endpoint` and returns its reply; throws the handler's
    /// `CommandFailure`, or a `FerryError` with code `timeout` when no reply came in `timeout`.
    public func request<C: Command>(_ command: C, to endpoint: Endpoint, timeout: Duration) async throws -> C.Reply {
        try await request(try Event(command, source: source), to: endpoint, timeout: timeout).decode(C.Reply.self)
    }

    /// `request` for an event built by the caller (the CLI, a command without a Swift type): the
    /// reply event.
    public func request(_ command: Event, to endpoint: Endpoint, timeout: Duration) async throws -> Event {
        let route = try await route(near: endpoint)
        var command = command
        command.correlationid = command.correlationid ?? command.id
        command.extensions[ReplyAddress.attribute] = route.address
        let id = command.id
        guard pending.withLock({ $0.expect(id) }) else {
            throw FerryError(
                .invalidEvent, "command \(id) is already waiting for its reply", remedy: "send each request as a command of its own id")
        }
        let reply: Event?
        do {
            _ = try await publishers.publish(command, to: endpoint)
            reply = try await withThrowingTaskGroup(of: Event?.self) { group in
                group.addTask { try await self.wait(for: id) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
        } catch {
            pending.withLock { _ = $0.forget(id) }
            throw error
        }
        pending.withLock { _ = $0.forget(id) }
        guard let reply else {
            throw FerryError(
                .timeout, "no reply to command \(command.type) (id \(id)) sent to \(endpoint) within \(timeout)",
                remedy: "check that a responder runs on \(endpoint.label) and keeps up (its lag), or allow a longer timeout")
        }
        if reply.type == CommandFailure.eventType {
            throw (try? JSONDecoder().decode(CommandFailure.self, from: reply.data))
                ?? CommandFailure(code: "unreadable", message: "the failure reply to command \(id) could not be read")
        }
        return reply
    }

    /// Waits for the reply to `id`; cancelled when the request times out or is cancelled.
    private func wait(for id: String) async throws -> Event {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch pending.withLock({ $0.wait(id, waiter) }) {
                case .resume(let reply): waiter.resume(returning: reply)
                case .cancelled: waiter.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            pending.withLock { $0.forget(id) }?.resume(throwing: CancellationError())
        }
    }

    /// This requester's reply route on `endpoint`'s broker, opened (and read) at the first
    /// request there.
    private func route(near endpoint: Endpoint) async throws -> ReplyRoute {
        let transport = try transports.transport(for: endpoint)
        let broker = try ReplyAddress.broker(of: endpoint, on: transport)
        let opening = routes.withLock { routes in
            if let opening = routes[broker] { return opening }
            let opening = Task { [id, count = routes.count] in
                let route = try await transport.openReplies(near: endpoint, id: "\(id)-\(count)", durable: false)
                self.read(route, broker: broker)
                return route
            }
            routes[broker] = opening
            return opening
        }
        do {
            return try await opening.value
        } catch {
            routes.withLock { if $0[broker] == opening { $0[broker] = nil } }  // the next request tries again
            throw error
        }
    }

    /// Hands each reply to its waiter and acks it: a reply is only for the process that asked,
    /// and one nobody waits for is dropped.
    private func read(_ route: ReplyRoute, broker: String) {
        let reader = Task { [pending, late, logger, routes] in
            do {
                for try await delivery in route.subscription {
                    // Requesters may share a destination (a Kafka partition): another's reply
                    // is passed over, not counted.
                    if let to = delivery.event.extensions[ReplyAddress.attribute], to != route.address {
                        try? await delivery.ack()
                        continue
                    }
                    switch pending.withLock({ $0.arrived(delivery.event) }) {
                    case .resume(let waiter, let reply): waiter.resume(returning: reply)
                    case .keep: break
                    case .late:
                        late.increment()
                        logger.debug("a late reply was dropped", metadata: ["causationid": "\(delivery.event.causationid ?? "")"])
                    case .duplicate:
                        logger.debug(
                            "another reply to an answered request was dropped",
                            metadata: ["causationid": "\(delivery.event.causationid ?? "")"])
                    }
                    try? await delivery.ack()
                }
            } catch {
                logger.warning("reading replies stopped", metadata: ["address": "\(route.address)", "error": "\(error)"])
            }
            // Whatever ended the reading, the next request opens a new route.
            guard !Task.isCancelled else { return }
            routes.withLock { _ = $0.removeValue(forKey: broker) }
            await route.close()
        }
        readers.withLock { $0.append(reader) }
    }

    /// Stops reading replies, removes the reply destinations and closes the publishers.
    public func close() async {
        for reader in readers.withLock({ $0 }) { reader.cancel() }
        for opening in routes.withLock({ $0.values }) { await (try? opening.value)?.close() }
        await publishers.close()
    }
}
