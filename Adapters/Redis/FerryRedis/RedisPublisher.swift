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

    init(endpoint: RedisEndpoint, stream: String, logger: Logger, timeout: Duration = .seconds(30)) {
        self.endpoint = endpoint
        self.stream = stream
        self.logger = logger
        self.timeout = timeout
        link = Reconnecting("Redis publisher to '\(stream)' at \(endpoint.location)", logger: logger) { () throws(FerryError) in
            try RedisConnection(endpoint)
        }
        head = ["XADD", stream] + (endpoint.maxLength.map { ["MAXLEN", "~", String($0)] } ?? []) + ["*"]
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

    private func addBlocking(_ entries: [(eventID: String, command: RedisCommand)]) -> [Result<Receipt, FerryError>] {
        let commands = entries.map(\.command)
        let deadline = ContinuousClock.now + timeout
        var lastError: FerryError?
        while ContinuousClock.now < deadline {
            do throws(FerryError) {
                let replies = try link.run { connection throws(FerryError) in try connection.pipeline(commands) }
                return zip(entries, replies).map { item, reply in
                    if case .error(let message) = reply {
                        return .failure(
                            FerryError(
                                .publishFailed,
                                "Redis at \(endpoint.location) refused XADD to '\(stream)' for event \(item.eventID): \(message)"))
                    }
                    guard let id = reply.text else {
                        return .failure(
                            FerryError(.publishFailed, "Redis at \(endpoint.location) gave no entry id for event \(item.eventID)"))
                    }
                    return .success(Receipt(eventID: item.eventID, position: Position(destination: stream, offset: id)))
                }
            } catch {
                lastError = error
                guard error.isRetriable else { break }
                link.backOff(after: error)
            }
        }
        let failure = FerryError(
            .publishFailed,
            "Redis at \(endpoint.location) did not take the batch for '\(stream)' within \(timeout)"
                + (lastError.map { ": \($0.message)" } ?? ""),
            remedy: lastError?.remedy, isRetriable: lastError?.isRetriable ?? true)
        return entries.map { _ in .failure(failure) }
    }
}
