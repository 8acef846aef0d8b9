import Ferry
import Foundation
import Logging

/// XADDs to one stream, a batch (and whatever concurrent sends coalesced with it) pipelined in
/// one round trip; each receipt carries the entry id Redis assigned. A lost connection is
/// re-opened with backoff and the entries without a reply are sent again (at-least-once), until
/// `timeout`.
final class RedisPublisher: Publisher, @unchecked Sendable {
    // @unchecked: `link` is only touched on `executor`; it and `batches` are set once, in init.
    private let endpoint: RedisEndpoint
    private let stream: String
    private let logger: Logger
    private let executor = BlockingExecutor(label: "ferry.redis.publisher")
    private let timeout: Duration
    private var link: Reconnecting<RedisConnection>!
    /// `XADD <stream> [MAXLEN ~ N] *`, the start of every command.
    private let head: [String]
    private var batches: Coalescer<(eventID: String, command: RedisCommand), Result<Receipt, FerryError>>!

    init(endpoint: RedisEndpoint, stream: String, logger: Logger) {
        self.endpoint = endpoint
        self.stream = stream
        self.logger = logger
        timeout = endpoint.publishTimeout
        link = Reconnecting("Redis publisher to '\(stream)' at \(endpoint.location)", logger: logger) { () throws(FerryError) in
            try RedisConnection(endpoint)
        }
        head =
            ["XADD", stream] + (endpoint.makesStream ? [] : ["NOMKSTREAM"])
            + (endpoint.maxLength.map { ["MAXLEN", "~", String($0)] } ?? []) + ["*"]
        batches = Coalescer(executor: executor, limit: 1000) { [weak self] entries in
            self?.addBlocking(entries)
                ?? entries.map { .failure(FerryError(.publishFailed, "event \($0.eventID) was sent after its publisher was released")) }
        }
    }

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        await EncodedBatch.send(events, encode: { event throws(FerryError) in try RedisWireFormat.command(event, head: head) }) {
            await batches.submit($0.map { ($0.eventID, $0.message) })
        }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await add(messages.map { ("", RedisWireFormat.entry($0)) })
    }

    func add(_ entries: [(eventID: String, entry: RedisEntry)]) async -> [Result<Receipt, FerryError>] {
        await batches.submit(entries.map { ($0.eventID, RedisCommand(head, $0.entry)) })
    }

    func close() async {
        await executor.run { [self] in link.drop() }
    }

    /// Sends every entry still without a result, again after a lost connection or a reply
    /// that says Redis cannot take writes for now (`LOADING` after a restart, `READONLY`...),
    /// until each has its entry id or a refusal for good, or `timeout` has passed.
    private func addBlocking(_ entries: [(eventID: String, command: RedisCommand)]) -> [Result<Receipt, FerryError>] {
        var results = [Result<Receipt, FerryError>?](repeating: nil, count: entries.count)
        let deadline = ContinuousClock.now + timeout
        var lastError: FerryError?
        while results.contains(where: { $0 == nil }), ContinuousClock.now < deadline {
            let pending = results.indices.filter { results[$0] == nil }
            do throws(FerryError) {
                // A "not now" reply fails the round, so that it is tried again with backoff; the
                // entries Redis took keep their receipts.
                try link.run { connection throws(FerryError) in
                    let replies = try connection.pipeline(pending.map { entries[$0].command })
                    var notNow: FerryError?
                    for (index, reply) in zip(pending, replies) {
                        let eventID = entries[index].eventID
                        if case .error(let message) = reply {
                            let refusal = FerryError(
                                .publishFailed,
                                "Redis at \(endpoint.location) refused XADD to '\(stream)' for event \(eventID): \(message)",
                                isRetriable: RedisValue.isTransient(message))
                            if refusal.isRetriable { notNow = refusal } else { results[index] = .failure(refusal) }
                        } else if case .null = reply {  // NOMKSTREAM, and no stream
                            results[index] = .failure(
                                FerryError(.publishFailed, "Redis at \(endpoint.location) has no stream '\(stream)' for event \(eventID)"))
                        } else if let id = reply.text {
                            results[index] = .success(Receipt(eventID: eventID, position: Position(destination: stream, offset: id)))
                        } else {
                            results[index] = .failure(
                                FerryError(.publishFailed, "Redis at \(endpoint.location) gave no entry id for event \(eventID)"))
                        }
                    }
                    if let notNow { throw notNow }
                }
            } catch {
                lastError = error
                guard error.isRetriable else { break }
                link.backOff(after: error)
            }
        }
        if let lastError, !lastError.isRetriable { return results.map { $0 ?? .failure(lastError) } }  // refused for good: say so
        let failure = FerryError(
            .publishFailed,
            "Redis at \(endpoint.location) did not take the batch for '\(stream)' within \(timeout)"
                + (lastError.map { ": \($0.message)" } ?? ""),
            remedy: lastError?.remedy, isRetriable: lastError?.isRetriable ?? true)
        return results.map { $0 ?? .failure(failure) }
    }
}
