import Foundation
import Testing

@testable import Ferry

/// Steps whose outcome is another service's event, without a store or a broker: a saga that
/// charges (a reply) and then waits for the shipment to be reported on `memory://shipments`.
@Suite struct SagaAwaitTests {
    struct State: Codable, Sendable, Equatable { var parcel: String? }

    let progress: SagaProgress<State>
    let shipments = try! Endpoint("memory://shipments")

    init() throws {
        let shipments = self.shipments
        progress = SagaProgress(
            Saga<State>(
                name: "s", start: { $0.type == "begin" ? ($0.subject ?? "", State()) : nil },
                steps: [
                    SagaStep(
                        "charge", to: try Endpoint("memory://payments"), command: { _ in Event(source: "/t", type: "charge") },
                        compensation: (try Endpoint("memory://refunds"), { _ in Event(source: "/t", type: "refund") })),
                    SagaStep(
                        "ship", to: try Endpoint("memory://shipping"), command: { _ in Event(source: "/t", type: "ship") },
                        done: { state, event in state.parcel = event.subject },
                        awaiting: SagaAwait(shipments, done: ["shipped"], failed: ["refused"])),
                ]))
    }

    func shipment(_ type: String, order: String, time: Date? = Date()) -> Event {
        Event(source: "/shipping", type: type, time: time, subject: "parcel-\(order)", partitionkey: order)
    }

    /// The instance after its charge was answered: waiting on the shipment.
    func charged(_ order: String) throws -> SagaRecord {
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: order)))
        var reply = Event(source: "/t", type: "ok")
        reply.correlate(with: begun.sends[0].command)
        return try #require(try progress.advance(begun.record, with: reply)).record
    }

    @Test func anAwaitedEventIsMatchedToItsStepAndInstanceByKey() throws {
        #expect(progress.awaited(shipment("shipped", order: "o-1"), on: shipments)! == (1, "o-1"))
        #expect(progress.awaited(shipment("refused", order: "o-1"), on: shipments)! == (1, "o-1"))
        #expect(progress.awaited(shipment("delayed", order: "o-1"), on: shipments) == nil, "a type no step awaits")
        #expect(progress.awaited(shipment("shipped", order: "o-1"), on: try Endpoint("memory://other")) == nil)
        var unkeyed = shipment("shipped", order: "o-1")
        unkeyed.partitionkey = nil
        #expect(progress.awaited(unkeyed, on: shipments) == nil, "no key: no instance")
    }

    @Test func aDoneEventCompletesTheStepAndAFailedOneUndoesTheStepsBefore() throws {
        let record = try charged("o-2")
        let done = try #require(try progress.advance(record, awaited: shipment("shipped", order: "o-2"), step: 1))
        #expect(done.record.status == .completed)
        #expect(try JSONDecoder().decode(State.self, from: done.record.state) == State(parcel: "parcel-o-2"))
        #expect(try progress.advance(done.record, awaited: shipment("shipped", order: "o-2"), step: 1) == nil, "finished")
        let refused = try #require(try progress.advance(record, awaited: shipment("refused", order: "o-2"), step: 1))
        #expect(refused.record.status == .compensating && refused.sends.map(\.command.type) == ["refund"])
        #expect(refused.sends[0].undo)
        #expect(refused.record.history.map(\.what) == ["started", "charge done", "ship failed"])
    }

    @Test func anEventTakenOnceIsPassedOverWhenDeliveredAgain() throws {
        let record = try charged("o-3")
        let event = shipment("refused", order: "o-3")
        let turn = try #require(try progress.advance(record, awaited: event, step: 1))
        #expect(try progress.advance(turn.record, awaited: event, step: 1) == nil, "taken already")
    }

    /// The shipping service answered before the turn that asked it was saved: held back, not
    /// dropped; an event for an instance this saga never began is held back only briefly.
    @Test func anEventAheadOfItsInstanceIsHeldBackAndAStrangersOnlyBriefly() throws {
        let begun = try #require(try progress.begin(Event(source: "/t", type: "begin", subject: "o-4")))
        let event = shipment("shipped", order: "o-4", time: Date(timeIntervalSince1970: 1000))
        #expect(progress.isAhead(event, awaitedBy: 1, of: begun.record), "the instance is still at the charge")
        #expect(!progress.isAhead(event, awaitedBy: 1, of: try charged("o-4")), "at the step: taken now")
        #expect(!progress.isAhead(event, awaitedBy: 1, of: nil), "no instance, and not the first step")
        #expect(!progress.isAhead(event, awaitedBy: 0, of: nil, now: 1_000_000_000 + 11_000_000), "too old")
        #expect(progress.isAhead(event, awaitedBy: 0, of: nil, now: 1_000_000_000 + 2_000_000), "fresh: its save may come")
    }
}
