import Foundation

/// One member of a group on an in-memory topic.
struct MemorySource: MessageSource {
    let transport: MemoryTransport
    let member: Int
    let topic: String
    let endpoint: Endpoint
    let deadLetter: (name: String, partitions: Int)
    let limits: MessageLimits

    /// The endpoint as plain messages' source and dead-letter records name it.
    var sourceName: String { endpoint.description }

    func next() async throws -> Inbound? {
        while true {
            try Task.checkCancellation()
            switch transport.state.withLock({ $0.take(member, now: .now) }) {
            case .closed:
                return nil
            case .record(let record, let partition, let offset, let attempt, let firstFailure):
                return inbound(record, partition: partition, offset: offset, attempt: attempt, firstFailure: firstFailure)
            case .wait(let generation, let until):
                await wait(generation: generation, until: until)
            }
        }
    }

    func nextIfReady() -> Inbound? {
        guard
            case .record(let record, let partition, let offset, let attempt, let firstFailure) = transport.state.withLock({
                $0.take(member, now: .now)
            })
        else { return nil }
        return inbound(record, partition: partition, offset: offset, attempt: attempt, firstFailure: firstFailure)
    }

    private func inbound(_ record: MemoryRecord, partition: Int, offset: Int, attempt: Int, firstFailure: Int64?) -> Inbound {
        let position = Position(destination: topic, partition: partition, offset: String(offset))
        return Inbound(
            envelope: MemoryWireFormat.decode(record, position: position, source: sourceName, limits: limits),
            attempt: attempt, position: position, firstFailureMicros: firstFailure,
            settle: { settlement in settle(settlement, partition: partition, offset: offset) })
    }

    func stop() {
        transport.state.withLock { $0.stop(member) }.forEach { $0.resume() }
    }

    func close() async {
        transport.state.withLock { $0.leave(member) }.forEach { $0.resume() }
    }

    /// Sleeps until the topic changes, `until` passes, or the task is cancelled.
    private func wait(generation: Int, until: ContinuousClock.Instant?) async {
        // The timer bumps the topic's generation rather than resuming a waiter: if it fires
        // before this member has parked, the park sees the new generation and does not sleep.
        let timer = until.map { deadline in
            Task { [transport, topic] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                transport.state.withLock { $0.wake(topic: topic) }.forEach { $0.resume() }
            }
        }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let parked = !Task.isCancelled && transport.state.withLock { $0.park(member, generation: generation, continuation) }
                if !parked { continuation.resume() }
            }
        } onCancel: { [transport, member] in
            transport.state.withLock { $0.unpark(member) }?.resume()
        }
    }

    private func settle(_ settlement: BrokerSettlement, partition: Int, offset: Int) {
        let wakeups: MemoryState.Wakeups = transport.state.withLock { state in
            switch settlement {
            case .ack:
                return state.ack(member: member, partition: partition, offset: offset)
            case .retry(let redelivery):
                return state.retry(
                    member: member, partition: partition, offset: offset,
                    due: .now + redelivery.delay, attempt: redelivery.nextAttempt, firstFailure: redelivery.firstFailureMicros)
            case .deadLetter(let headers):
                return state.deadLetter(
                    member: member, partition: partition, offset: offset,
                    to: deadLetter.name, partitions: deadLetter.partitions, headers: headers, now: Event.micros(of: Date()))
            }
        }
        wakeups.forEach { $0.resume() }
    }
}
