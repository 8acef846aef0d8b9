import Foundation
import Logging

/// Reads an outbox table as a message source (the relay's `source:`). One reader at a time
/// holds the outbox's lease and drains it oldest row first; others wait, and take over when
/// it stops or dies (its lease is renewed every 2 s while it handles what it read). A row is
/// deleted only when acked (after every sink confirmed it): acks are written in batches, before
/// each fetch and every 100 ms, so a crash before the write sends those rows again (the
/// relay's idempotency store recognises them).
package final class OutboxSource: MessageSource {
    private let table: any OutboxTable
    private let options: SubscribeOptions
    private let logger: Logger
    private let reader = UUID().uuidString
    private let state = Locked(OutboxReaderState())
    private let flusher = Locked<Task<Void, Never>?>(nil)
    /// Whether this reader held the lease at its last look.
    private let leading = Locked(false)
    /// How long a reader without the lease waits before asking again.
    private let standby = Duration.seconds(1)

    package init(table: any OutboxTable, options: SubscribeOptions, logger: Logger) {
        self.table = table
        self.options = options
        self.logger = logger
        flusher.withLock {
            $0 = Task { [weak self] in
                var tick = 0
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    guard let self else { return }
                    await writeAcks(state.withLock { $0.takeAcks() })
                    // A lease with a term (SQLite's) is renewed while the rows read are handled.
                    tick += 1
                    if tick % 20 == 0, leading.withLock({ $0 }), !Task.isCancelled { _ = try? await table.lead(as: reader) }
                }
            }
        }
    }

    package func next() async throws -> Inbound? {
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        var failing = false
        while true {
            try Task.checkCancellation()
            let (next, handout) = state.withLock { $0.next() }
            switch next {
            case .stopped:
                return nil
            case .row:
                return inbound(handout!)
            case .fetch(let acks, let held):
                do {
                    try await write(acks)
                    let leads = try await table.lead(as: reader)
                    leading.withLock { $0 = leads }
                    guard leads else {
                        try await Task.sleep(for: standby)
                        continue
                    }
                    let rows = try await table.due(limit: options.prefetch, excluding: held, now: Event.micros(of: Date()))
                    if failing {
                        logger.notice("outbox readable again", metadata: ["outbox": "\(table.location)"])
                        failing = false
                    }
                    backoff.reset()
                    if rows.isEmpty { await table.waitForRows(upTo: .milliseconds(500), as: reader) }
                    state.withLock { $0.fetched(rows) }
                } catch let error as CancellationError {
                    throw error
                } catch {
                    if !failing {
                        logger.warning(
                            "outbox unreadable; trying again with backoff", metadata: ["outbox": "\(table.location)", "error": "\(error)"])
                        failing = true
                    }
                    try await backoff.sleep()
                }
            }
        }
    }

    package func nextIfReady() -> Inbound? {
        state.withLock { $0.nextIfReady() }.map(inbound)
    }

    package func stop() {
        _ = state.withLock { $0.stop() }
    }

    package func close() async {
        _ = state.withLock { $0.stop() }
        // A flush under way ends first: the next reader must not find rows acked here.
        let flushing = flusher.withLock { $0 }
        flushing?.cancel()
        await flushing?.value
        await writeAcks(state.withLock { $0.takeAcks() })
        await table.resign(as: reader)
    }

    private func inbound(_ handout: OutboxReaderState.Handout) -> Inbound {
        let row = handout.row
        let position = Position(destination: table.location, offset: String(row.id))
        return Inbound(
            envelope: decode(row), attempt: max(1, row.attempt), position: position, firstFailureMicros: row.firstFailureMicros
        ) { [self] settlement in
            // Retried or dead-lettered, or not (the database failed): either way this handout
            // no longer holds the row, so a later fetch reads it again when it is due (held, it
            // would wait until this reader lost its lease).
            switch settlement {
            case .ack:
                state.withLock { $0.ack(row.id) }
            case .retry(let redelivery):
                defer { state.withLock { $0.released(handout) } }
                try await table.postpone(
                    row.id, until: Event.micros(of: Date()) + redelivery.delay.microseconds, attempt: redelivery.nextAttempt,
                    firstFailureMicros: redelivery.firstFailureMicros)
            case .deadLetter(let headers):
                defer { state.withLock { $0.released(handout) } }
                try await table.deadLetter(row.id, headers: row.headers.merging(headers) { $1 })
            }
        }
    }

    /// The row's event, within the subscription's limits. A dead letter that is no event (a
    /// row that never was one) is read as a plain message, so its record can be seen.
    private func decode(_ row: OutboxRow) -> Result<DecodedEnvelope, FerryError> {
        Result { () throws(FerryError) in
            try options.limits.check(
                headers: row.headers.count, bytes: row.body.count + row.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count })
            do throws(FerryError) {
                var event = try StructuredFormat.decode(row.body, where: "row \(row.id) of the outbox at \(table.location)")
                event.headers = row.headers
                return DecodedEnvelope(event: event, mode: .structured)
            } catch {
                guard row.headers[DeadLetterRecord.Header.reason] != nil else { throw error }
                let event = Event(
                    id: "row-\(row.id)", source: table.location, type: Event.plainType, time: nil, headers: row.headers, data: row.body)
                return DecodedEnvelope(event: event, mode: .plain)
            }
        }
    }

    private func write(_ acks: [Int64]) async throws {
        guard !acks.isEmpty else { return }
        do {
            try await table.delete(acks)
            state.withLock { $0.settled(acks) }
        } catch {
            state.withLock { $0.settled(acks, failed: true) }
            throw error
        }
    }

    /// Writes acks, keeping them for the next try when the table cannot be reached.
    private func writeAcks(_ acks: [Int64]) async {
        try? await write(acks)
    }
}
