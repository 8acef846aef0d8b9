import Foundation
import Testing

@testable import Ferry

/// Every turn of a saga instance, without a store or a broker: a three-step saga whose middle
/// step has no compensation.
@Suite struct SagaProgressTests {
    struct State: Codable, Sendable, Equatable { var done: [String] = [] }

    let progress: SagaProgress<State>

    init() throws {
        func step(_ name: String, undo: Bool) throws -> SagaStep<State> {
            let destination = try Endpoint("memory://\(name)")
            return SagaStep(
                name, to: destination, command: { _ in Event(source: "/t", type: name) },
                done: { state, _ in state.done.append(name) },
                compensation: undo ? (try Endpoint("memory://undo-\(name)"), { _ in Event(source: "/t", type: "undo-\(name)") }) : nil,
                timeout: name == "b" ? .seconds(5) : nil)
        }
        progress = SagaProgress(
            Saga<State>(
                name: "s", start: { $0.type == "begin" ? ($0.subject ?? "", State()) : nil },
                steps: [try step("a", undo: true), try step("b", undo: false), try step("c", undo: true)]))
    }

    func reply(to command: Event, failed: Bool = false) -> Event {
        var reply = Event(source: "/t", type: failed ? "ferry.command.failure" : "ok")
        reply.correlate(with: command)
        return reply
    }

    @Test func stepsRunInOrderAndTheLastCompletes() throws {
        #expect(try progress.begin(Event(source: "/t", type: "other")) == nil, "an event that begins nothing")
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "i-1")))
        #expect(begun.record.id == "i-1" && begun.record.version == 1 && begun.record.status == .running)
        #expect(begun.sends.map(\.command.type) == ["a"])
        #expect(begun.sends[0].command.id == "s/i-1/0/do" && begun.sends[0].command.correlationid == "i-1")
        var record = begun.record
        var command = begun.sends[0].command
        for expected in ["b", "c"] {
            let turn = try #require(try progress.advance(record, with: reply(to: command)))
            #expect(turn.sends.map(\.command.type) == [expected])
            #expect(turn.record.version == record.version + 1)
            (record, command) = (turn.record, turn.sends[0].command)
        }
        let last = try #require(try progress.advance(record, with: reply(to: command)))
        #expect(last.record.status == .completed && last.sends.isEmpty)
        #expect(try JSONDecoder().decode(State.self, from: last.record.state) == State(done: ["a", "b", "c"]))
        #expect(try progress.advance(last.record, with: reply(to: command)) == nil, "nothing after the end")
    }

    @Test func aFailedStepUndoesTheDoneOnesThatCanBeUndoneNewestFirst() throws {
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "i-2")))
        let afterA = try #require(try progress.advance(begun.record, with: reply(to: begun.sends[0].command)))
        let afterB = try #require(try progress.advance(afterA.record, with: reply(to: afterA.sends[0].command)))
        let failed = try #require(try progress.advance(afterB.record, with: reply(to: afterB.sends[0].command, failed: true)))
        #expect(failed.record.status == .compensating)
        #expect(failed.sends.map(\.command.type) == ["undo-a"], "b has nothing to undo: a's compensation comes next")
        #expect(failed.sends[0].destination == (try Endpoint("memory://undo-a")))
        #expect(failed.sends[0].command.id == "s/i-2/0/undo")
        let undone = try #require(try progress.advance(failed.record, with: reply(to: failed.sends[0].command)))
        #expect(undone.record.status == .compensated && undone.sends.isEmpty)
        #expect(undone.record.history.map(\.what) == ["started", "a done", "b done", "c failed", "a undone"])
    }

    @Test func aStaleOrRepeatedReplyIsPassedOver() throws {
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "i-3")))
        let answer = reply(to: begun.sends[0].command)
        let turn = try #require(try progress.advance(begun.record, with: answer))
        #expect(try progress.advance(turn.record, with: answer) == nil, "the same reply again")
        var stranger = answer
        stranger.id = "another-id"
        #expect(try progress.advance(turn.record, with: stranger) == nil, "a reply to a step already past")
        let again = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "i-3")))
        #expect(again.sends[0].command.id == begun.sends[0].command.id, "a turn taken again sends the same command")
    }

    /// A step's timer fires as the step's failure, unless the step was answered first.
    @Test func aTimerFailsItsStepOnlyIfStillUnanswered() throws {
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "i-4")))
        #expect(try progress.timer(for: begun.sends[0]) == nil, "step a has no timeout")
        let afterA = try #require(try progress.advance(begun.record, with: reply(to: begun.sends[0].command)))
        let timer = try #require(try progress.timer(for: afterA.sends[0], now: 1_000_000))
        #expect(timer.type == "ferry.saga.timeout" && timer.causationid == afterA.sends[0].command.id)
        #expect(try JSONDecoder().decode(SagaProgress<State>.Timer.self, from: timer.data).due == 6_000_000)
        let fired = try progress.failure(firedBy: timer)
        let failed = try #require(try progress.advance(afterA.record, with: fired), "unanswered: the timer fails step b")
        #expect(failed.record.status == .compensating && failed.sends.map(\.command.type) == ["undo-a"])
        let answered = try #require(try progress.advance(afterA.record, with: reply(to: afterA.sends[0].command)))
        #expect(try progress.advance(answered.record, with: fired) == nil, "answered in time: the timer is passed over")
    }
}
