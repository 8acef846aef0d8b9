import Ferry
import Foundation
import Logging

/// A member of a Redis Streams consumer group, as the core's `MessageSource`.
///
/// It first re-reads its own pending entries, then new ones (XREADGROUP BLOCK), and when idle
/// reclaims entries that other members left pending for `claim-idle` (XAUTOCLAIM). A retried
/// entry stays pending and is claimed back (XCLAIM) once its delay has passed, so the attempt
/// number is Redis' own delivery counter. A dead letter is XADDed to the DLQ stream before the
/// original is XACKed: a crash in between duplicates, never loses.
final class RedisSource: FetchingSource, @unchecked Sendable {
    // @unchecked: `reader`, `ownPendingCursor` and `lastClaim` are only touched on
    // `readExecutor`, `writer` on `writeExecutor`; those two and `acks` are set once, in init.
    private let endpoint: RedisEndpoint
    private let options: SubscribeOptions
    private let logger: Logger
    /// The endpoint as plain messages' source and dead-letter records name it (made once: it is
    /// needed for every message).
    private let sourceName: String
    private let deadLetters: RedisPublisher
    private let readExecutor = BlockingExecutor(label: "ferry.redis.reader")
    private let writeExecutor = BlockingExecutor(label: "ferry.redis.writer")
    let state = Locked(RedisConsumerState())
    var fetchExecutor: BlockingExecutor { readExecutor }
    private var reader: Reconnecting<RedisConnection>!
    private var writer: Reconnecting<RedisConnection>!
    /// Where re-reading this consumer's own pending entries has got to; nil once done.
    private var ownPendingCursor: String? = "0"
    private var lastClaim = ContinuousClock.now - .seconds(3600)
    /// Acks queued while an XACK is on its way go together in the next one.
    private var acks: Coalescer<String, Void>!

    init(endpoint: RedisEndpoint, options: SubscribeOptions, logger: Logger) {
        self.endpoint = endpoint
        sourceName = endpoint.endpoint.description
        self.options = options
        self.logger = logger
        deadLetters = RedisPublisher(endpoint: endpoint, stream: endpoint.deadLetterStream, logger: logger)
        reader = Reconnecting("Redis consumer of '\(endpoint.stream)' at \(endpoint.location)", logger: logger) { () throws(FerryError) in
            let fresh = try RedisConnection(endpoint)
            fresh.setTimeout(.seconds(5))
            return fresh
        }
        writer = Reconnecting("Redis acknowledger of '\(endpoint.stream)' at \(endpoint.location)", logger: logger) {
            () throws(FerryError) in
            try RedisConnection(endpoint)
        }
        acks = Coalescer(executor: writeExecutor, limit: 1000, delay: .milliseconds(1)) { [weak self] ids in
            self?.acknowledgeBlocking(ids) ?? ids.map { _ in () }  // gone: the entries stay pending
        }
    }

    /// Creates the group (and the stream) when missing, so a bad URL fails the subscribe call.
    func start() async throws {
        let first = try RedisEntry.groupStart(options.start)
        try await readExecutor.run { [self] () throws in
            let create = try reader.run { connection throws(FerryError) in
                try connection.command(["XGROUP", "CREATE", endpoint.stream, options.group, first, "MKSTREAM"])
            }
            if case .error(let message) = create, !message.hasPrefix("BUSYGROUP") {
                throw FerryError(
                    .invalidEndpoint,
                    "Redis at \(endpoint.location) refused to create group '\(options.group)' on '\(endpoint.stream)': \(message)")
            }
        }
    }

    /// Stops reading. Pending entries stay with this consumer until another member reclaims
    /// them; the consumer is removed from the group only when it owns none.
    func close() async {
        state.withLock { $0.close() }
        await writeExecutor.run { [self] in
            acks.drain()
            writer.drop()
        }
        await readExecutor.run { [self] in
            if let reader = reader.current,
                let pending = try? reader.command(["XPENDING", endpoint.stream, options.group, "-", "+", "1", options.consumer]),
                pending.array?.isEmpty == true
            {
                _ = try? reader.command(["XGROUP", "DELCONSUMER", endpoint.stream, options.group, options.consumer])
            }
            reader.drop()
        }
        await deadLetters.close()
    }

    /// Runs on `readExecutor`: reads a batch, reconnecting with backoff after a loss.
    func fetch() -> [(entry: RedisEntry, attempt: Int)] {
        guard !state.withLock({ $0.closed }) else { return [] }
        do throws(FerryError) {
            return try reader.run(read)
        } catch {
            reader.backOff(after: error)
            return []
        }
    }

    /// Due retries, then own pending entries (once), then new entries (blocking up to 100 ms),
    /// then reclaimable entries of silent members.
    private func read(_ connection: RedisConnection) throws(FerryError) -> [(entry: RedisEntry, attempt: Int)] {
        let now = Event.micros(of: Date())
        let due = state.withLock { $0.takeDue(now: now) }
        if !due.isEmpty {
            // Claimed back with the delivery counter set to the attempt the core asked for.
            var claimed: [RedisEntry] = []
            for (attempt, ids) in Dictionary(grouping: due, by: \.attempt).sorted(by: { $0.key < $1.key }) {
                claimed += try connection.entries(
                    ["XCLAIM", endpoint.stream, options.group, options.consumer, "0"] + ids.map(\.id) + ["RETRYCOUNT", String(attempt)])
            }
            return try withAttempts(claimed, connection)
        }
        if let cursor = ownPendingCursor {
            let own = try connection.entries(
                [
                    "XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", String(options.prefetch), "STREAMS",
                    endpoint.stream, cursor,
                ], readGroup: true)
            ownPendingCursor = own.last?.id
            if !own.isEmpty { return try withAttempts(own, connection) }
        }
        let fresh = try connection.entries(
            [
                "XREADGROUP", "GROUP", options.group, options.consumer, "COUNT", String(options.prefetch), "BLOCK", "100",
                "STREAMS", endpoint.stream, ">",
            ], readGroup: true)
        if !fresh.isEmpty { return fresh.map { ($0, 1) } }
        if ContinuousClock.now - lastClaim >= .milliseconds(max(100, endpoint.claimIdleMilliseconds / 2)) {
            lastClaim = .now
            // JUSTID leaves delivery counters alone: this consumer's own held entries
            // (being handled, or waiting for their retry) must not count as delivered again.
            let claimed = try connection.command(
                [
                    "XAUTOCLAIM", endpoint.stream, options.group, options.consumer, String(endpoint.claimIdleMilliseconds), "0-0",
                    "COUNT", String(options.prefetch), "JUSTID",
                ])
            let idle = (claimed.array?.dropFirst().first?.array ?? []).compactMap(\.text)
            let orphans = state.withLock { $0.orphans(idle) }
            if !orphans.isEmpty {
                let reclaimed = try connection.entries(["XCLAIM", endpoint.stream, options.group, options.consumer, "0"] + orphans)
                logger.info(
                    "reclaimed entries left pending by another member",
                    metadata: ["stream": "\(endpoint.stream)", "count": "\(reclaimed.count)"])
                return try withAttempts(reclaimed, connection)
            }
        }
        return []
    }

    /// The attempt of each entry: Redis' delivery counter of the pending entry.
    private func withAttempts(_ entries: [RedisEntry], _ connection: RedisConnection) throws(FerryError) -> [(
        entry: RedisEntry, attempt: Int
    )] {
        let ids = entries.compactMap(\.id).sorted { RedisEntry.order($0) < RedisEntry.order($1) }
        guard let first = ids.first, let last = ids.last else { return [] }
        let pending = try connection.command([
            "XPENDING", endpoint.stream, options.group, first, last, String(entries.count * 2), options.consumer,
        ])
        var counts: [String: Int] = [:]
        for item in pending.array ?? [] {
            if let fields = item.array, fields.count >= 4, let id = fields[0].text { counts[id] = fields[3].integer }
        }
        return entries.map { ($0, counts[$0.id ?? ""] ?? 1) }
    }

    func inbound(_ fetched: (entry: RedisEntry, attempt: Int, firstFailureMicros: Int64?)) -> Inbound {
        let (entry, attempt, firstFailure) = fetched
        let id = entry.id ?? ""
        let position = Position(destination: endpoint.stream, offset: id)
        let envelope = RedisWireFormat.decode(entry, position: position, source: sourceName, limits: options.limits)
        let eventID = (try? envelope.get().event.id) ?? position.description
        return Inbound(
            envelope: envelope, attempt: attempt, position: position, firstFailureMicros: firstFailure
        ) { [self] settlement in
            switch settlement {
            case .ack:
                acknowledge(id)
            case .retry(let redelivery):
                let due = Event.micros(of: Date()) + redelivery.delay.microseconds
                state.withLock { $0.retry(id, due: due, attempt: redelivery.nextAttempt, firstFailure: redelivery.firstFailureMicros) }
            case .deadLetter(let headers):
                var copy = entry
                copy.fields += WireField.list(headers)
                _ = try await deadLetters.add([(eventID, copy)])[0].get()
                acknowledge(id)
            }
        }
    }

    /// Queues the XACK: acks made meanwhile go out together. One lost before it reached Redis
    /// leaves the entry pending, to be delivered again.
    private func acknowledge(_ id: String) {
        state.withLock { $0.settled(id) }
        acks.enqueue(id)
    }

    /// One XACK for `ids`, once more on a fresh connection if the first one was lost. If that
    /// fails too the entries stay pending and are handed out again (own pending on restart, or
    /// XAUTOCLAIM). Runs on `writeExecutor`.
    private func acknowledgeBlocking(_ ids: [String]) -> [Void] {
        do throws(FerryError) {
            let reply = try writer.runRetryingOnce { connection throws(FerryError) in
                try connection.command(["XACK", endpoint.stream, options.group] + ids)
            }
            if case .error(let message) = reply {
                throw FerryError(
                    .connectionFailed,
                    "Redis at \(endpoint.location) refused XACK of \(ids.count) entries on '\(endpoint.stream)': \(message)")
            }
        } catch {
            logger.warning(
                "XACK failed; the entries stay pending and will be delivered again",
                metadata: ["ids": "\(ids.count)", "first": "\(ids[0])", "error": "\(error)"])
        }
        return ids.map { _ in () }
    }

}
