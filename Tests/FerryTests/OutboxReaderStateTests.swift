import Foundation
import Testing

@testable import Ferry

/// What an outbox reader holds, without a database.
@Suite struct OutboxReaderStateTests {
    func rows(_ ids: ClosedRange<Int64>) -> [OutboxRow] {
        ids.map { OutboxRow(id: $0, body: Data(), headers: [:], attempt: 1, firstFailureMicros: nil) }
    }

    @Test func rowsHandedOutAreHeldUntilTheirAckIsWritten() {
        var state = OutboxReaderState()
        #expect(state.next().0 == .fetch(acks: [], held: []))
        state.fetched(rows(1...3))
        #expect(state.next().0 == .row(1))
        #expect(state.next().0 == .row(2))
        state.ack(1)
        #expect(state.nextIfReady()?.row.id == 3)
        #expect(state.next().0 == .fetch(acks: [1], held: [1, 2, 3]), "an ack is written before the next fetch; until then it is held")
        state.settled([1])
        state.fetched(rows(2...4))
        #expect(state.next().0 == .row(4), "rows held are never handed out twice")
    }

    @Test func anAckThatCouldNotBeWrittenIsWrittenLater() {
        var state = OutboxReaderState()
        state.fetched(rows(1...1))
        _ = state.next()
        state.ack(1)
        let acks = state.takeAcks()
        state.settled(acks, failed: true)
        #expect(state.next().0 == .fetch(acks: [1], held: [1]))
    }

    @Test func aLateSettlementOfAnEarlierCopyLeavesTheCopyInHandHeld() {
        var state = OutboxReaderState()
        state.fetched(rows(1...1))
        let first = state.next().1!
        state.released(first)  // its retry failed to be written: the row may be read again
        state.fetched(rows(1...1))
        let second = state.next().1!
        state.released(first)  // the first copy handed back again, now written
        #expect(state.next().0 == .fetch(acks: [], held: [1]), "the second copy is in hand: the row stays held")
        state.released(second)
        #expect(state.next().0 == .fetch(acks: [], held: []))
    }

    @Test func stoppingDropsWhatWasNotHandedOut() {
        var state = OutboxReaderState()
        state.fetched(rows(1...3))
        _ = state.next()
        #expect(state.stop() == [2, 3], "back in the table for the next reader")
        #expect(state.next().0 == .stopped)
        #expect(state.nextIfReady() == nil)
    }
}
