import Foundation

/// How a saga instance moves on: from its start event, a reply or an awaited event, the next
/// record and the commands to send. Pure (no store, no broker), so every turn is unit-tested.
///
/// A command's id names its instance, step and direction, so a turn taken again after a crash
/// sends the same commands, which responders recognise as duplicates and answer again.
package struct SagaProgress<State: Codable & Sendable>: Sendable {
    package struct Send: Sendable {
        package var command: Event
        package var destination: Endpoint
        package var step: Int
        package var undo: Bool
    }

    /// The type of a step's timer event, and what it carries.
    package static var timerType: String { "ferry.saga.timeout" }
    package struct Timer: Codable, Sendable {
        /// When it fires, in microseconds since 1970.
        package var due: Int64
        package var step: String
    }

    /// The timer of `send`: an event for the saga's start destination, due after the timeout.
    package func timer(for send: Send, now: Int64 = Event.micros(of: Date())) throws -> Event? {
        guard !send.undo, let timeout = saga.steps[send.step].timeout else { return nil }
        let step = saga.steps[send.step].name
        var timer = Event(
            id: send.command.id + "/timeout", source: send.command.source, type: Self.timerType, datacontenttype: "application/json",
            data: try JSONEncoder().encode(Timer(due: now + timeout.microseconds, step: step)))
        timer.correlationid = send.command.correlationid
        timer.causationid = send.command.id
        return timer
    }

    /// The failure a fired timer stands for: a reply to the command it watches, which
    /// `advance` passes over when the step was answered in time.
    package func failure(firedBy timer: Event) throws -> Event {
        let fired = try JSONDecoder().decode(Timer.self, from: timer.data)
        let failure = CommandFailure(code: "timeout", message: "step \(fired.step) was not answered in time")
        var reply = Event(
            id: timer.id, source: timer.source, type: CommandFailure.eventType, datacontenttype: "application/json",
            data: try JSONEncoder().encode(failure))
        reply.correlationid = timer.correlationid
        reply.causationid = timer.causationid
        return reply
    }

    package struct Turn: Sendable {
        package var record: SagaRecord
        package var sends: [Send]
    }

    let saga: Saga<State>

    package init(_ saga: Saga<State>) { self.saga = saga }

    /// The id of the command of `step`, carrying it out or undoing it.
    package func commandID(_ instance: String, step: Int, undo: Bool) -> String {
        "\(saga.name)/\(instance)/\(step)/\(undo ? "undo" : "do")"
    }

    /// Whether `reply` answers a command the instance has not reached in its store yet: the
    /// turn that sent it is not saved (a fast reply beats the save). Such a reply must come
    /// back later, not be dropped; a reply to a step already past is stale and is dropped.
    package func isAhead(_ reply: Event, of record: SagaRecord?, instance: String) -> Bool {
        guard let sent = reply.causationid.flatMap({ ordinal(of: $0, instance: instance) }) else { return false }
        guard let record else { return true }
        guard !record.status.isFinished else { return false }
        let steps = saga.steps.count
        let current = record.status == .compensating ? steps + (steps - 1 - record.step) : record.step
        return sent > current
    }

    /// Where a command stands in an instance's order: its steps carried out, then undone from
    /// the last; nil for a command id of another instance or saga.
    private func ordinal(of commandID: String, instance: String) -> Int? {
        let steps = saga.steps.count
        for step in 0..<steps {
            if commandID == self.commandID(instance, step: step, undo: false) { return step }
            if commandID == self.commandID(instance, step: step, undo: true) { return steps + (steps - 1 - step) }
        }
        return nil
    }

    /// The first turn of the instance `input` begins; nil when it begins none.
    package func begin(_ input: Event) throws -> Turn? {
        guard let (id, state) = try saga.start(input) else { return nil }
        var record = SagaRecord(saga: saga.name, id: id, version: 1, state: try JSONEncoder().encode(state))
        record.record(input, "started")
        guard !saga.steps.isEmpty else {
            record.status = .completed
            return Turn(record: record, sends: [])
        }
        return Turn(record: record, sends: [try send(step: 0, undo: false, state, record)])
    }

    /// The step an event read from `endpoint` is the awaited outcome of, and its instance; nil
    /// for an event no step awaits.
    package func awaited(_ event: Event, on endpoint: Endpoint) -> (step: Int, instance: String)? {
        for (index, step) in saga.steps.enumerated() {
            guard let awaiting = step.awaiting, awaiting.events == endpoint,
                awaiting.done.contains(event.type) || awaiting.failed.contains(event.type),
                let instance = awaiting.key(event)
            else { continue }
            return (index, instance)
        }
        return nil
    }

    /// How long after its `time` an event awaited by the first step is held back while its
    /// instance is not saved: the start's turn sends the step's command before it saves.
    package static var earlyEventWindow: Duration { .seconds(10) }

    /// Whether `event`, awaited by `step`, comes before its instance reached the step in the
    /// store (the turn that sent the step's command is not saved yet): it must come back later.
    /// Without a saved instance that is only presumed for the first step, shortly after the
    /// event's time (an event of an instance this saga never began is passed over then).
    package func isAhead(
        _ event: Event, awaitedBy step: Int, of record: SagaRecord?, now: Int64 = Event.micros(of: Date())
    ) -> Bool {
        guard let record else {
            guard step == 0, let time = event.timeMicros else { return false }
            let window = Self.earlyEventWindow.microseconds
            return (now - window...now + window).contains(time)
        }
        return record.status == .running && record.step < step
    }

    /// The turn an awaited event of `step` makes; nil when the instance does not wait on that
    /// step (any more), or took the event already.
    package func advance(_ record: SagaRecord, awaited event: Event, step: Int) throws -> Turn? {
        guard record.status == .running, record.step == step, !record.handled.contains(event.id),
            let awaiting = saga.steps[step].awaiting
        else { return nil }
        return try turn(record, event, failed: awaiting.failed.contains(event.type))
    }

    /// The turn `reply` makes; nil when it is not the reply the instance waits for (a stale
    /// or repeated one), which is passed over.
    package func advance(_ record: SagaRecord, with reply: Event) throws -> Turn? {
        guard !record.status.isFinished, !record.handled.contains(reply.id) else { return nil }
        let undoing = record.status == .compensating
        guard reply.causationid == commandID(record.id, step: record.step, undo: undoing) else { return nil }
        return try turn(record, reply, failed: reply.type == CommandFailure.eventType)
    }

    /// The next record and sends after the outcome `input` of the instance's current step.
    private func turn(_ record: SagaRecord, _ input: Event, failed: Bool) throws -> Turn {
        let undoing = record.status == .compensating
        var state = try JSONDecoder().decode(State.self, from: record.state)
        var next = record
        next.version += 1
        next.updatedMicros = Event.micros(of: Date())
        let step = saga.steps[record.step]
        var sends: [Send] = []
        if !undoing && !failed {
            try step.done(&state, input)
            next.record(input, "\(step.name) done")
            if record.step + 1 < saga.steps.count {
                next.step = record.step + 1
                sends = [try send(step: next.step, undo: false, state, next)]
            } else {
                next.status = .completed
            }
        } else {
            next.record(input, undoing ? "\(step.name) undone\(failed ? " (its undoing failed)" : "")" : "\(step.name) failed")
            // Undo the steps before this one (or, while undoing, before the one just undone).
            if let below = (0..<record.step).last(where: { saga.steps[$0].compensation != nil }) {
                next.status = .compensating
                next.step = below
                sends = [try send(step: below, undo: true, state, next)]
            } else {
                next.status = .compensated
            }
        }
        next.state = try JSONEncoder().encode(state)
        return Turn(record: next, sends: sends)
    }

    private func send(step index: Int, undo: Bool, _ state: State, _ record: SagaRecord) throws -> Send {
        let step = saga.steps[index]
        var command: Event
        let destination: Endpoint
        if undo, let compensation = step.compensation {
            (command, destination) = (try compensation.command(state), compensation.destination)
        } else {
            (command, destination) = (try step.command(state), step.destination)
        }
        command.id = commandID(record.id, step: index, undo: undo)
        command.source = "ferry:saga/\(saga.name)"
        command.correlationid = record.id
        command.idempotencykey = nil
        return Send(command: command, destination: destination, step: index, undo: undo)
    }
}
