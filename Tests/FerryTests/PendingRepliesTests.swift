import Foundation
import Testing

@testable import Ferry

/// The requester's table of open requests, without a broker: every way a request ends forgets
/// it, and a reply nobody waits for is counted, not kept.
@Suite struct PendingRepliesTests {
    func reply(to id: String?) -> Event {
        var event = Event(source: "/t", type: "reply")
        event.causationid = id
        return event
    }

    @Test func aReplyFindsItsWaiterOrWaitsForIt() {
        var table = PendingReplies<Int>()
        let first = table.expect("a")
        let again = table.expect("a")
        #expect(first && !again, "one open request per id: a second would lose the first's waiter")
        guard case .wait = table.wait("a", 1) else {
            Issue.record("a waiter with no reply yet waits")
            return
        }
        guard case .resume(1, let got) = table.arrived(reply(to: "a")) else {
            Issue.record("the reply resumes waiter 1")
            return
        }
        #expect(got.causationid == "a")
        #expect(table.count == 0)

        _ = table.expect("b")  // the reply beats the waiter: kept for it
        guard case .keep = table.arrived(reply(to: "b")) else {
            Issue.record("kept until the waiter comes")
            return
        }
        guard case .resume(let early) = table.wait("b", 2) else {
            Issue.record("the waiter gets the kept reply")
            return
        }
        #expect(early.causationid == "b")
        #expect(table.count == 0 && table.lateReplies == 0)
    }

    @Test func endedRequestsLeaveNothingAndTheirRepliesAreLate() {
        var table = PendingReplies<Int>()
        _ = table.expect("timed-out")
        _ = table.wait("timed-out", 1)
        #expect(table.forget("timed-out") == 1, "the waiter is handed back to be resumed with the error")
        guard case .late = table.arrived(reply(to: "timed-out")) else {
            Issue.record("a reply after the timeout is late")
            return
        }

        _ = table.expect("cancelled")
        #expect(table.forget("cancelled") == nil, "cancelled before anyone waited")
        guard case .cancelled = table.wait("cancelled", 2) else {
            Issue.record("a waiter that comes after must not wait")
            return
        }

        _ = table.expect("twice")
        _ = table.arrived(reply(to: "twice"))
        guard case .duplicate = table.arrived(reply(to: "twice")) else {
            Issue.record("a second reply before the waiter came is a duplicate")
            return
        }
        guard case .late = table.arrived(reply(to: nil)) else {
            Issue.record("a reply naming no command is late")
            return
        }
        guard case .late = table.arrived(reply(to: "never-asked")) else {
            Issue.record("a reply to another's command is late")
            return
        }
        #expect(table.forget("twice") == nil)
        #expect(table.count == 0)
        #expect(table.lateReplies == 3 && table.duplicateReplies == 1)
    }

    @Test func aSecondReplyToAnAnsweredRequestIsADuplicateWhileItIsRemembered() {
        var table = PendingReplies<Int>()
        for n in 0...PendingReplies<Int>.remembered {
            _ = table.expect("r\(n)")
            _ = table.wait("r\(n)", n)
            _ = table.arrived(reply(to: "r\(n)"))
        }
        guard case .duplicate = table.arrived(reply(to: "r\(PendingReplies<Int>.remembered)")) else {
            Issue.record("the command was delivered again and answered again")
            return
        }
        guard case .late = table.arrived(reply(to: "r0")) else {
            Issue.record("the oldest answer is forgotten: only the last ones are remembered")
            return
        }
        #expect(table.duplicateReplies == 1 && table.lateReplies == 1 && table.count == 0)
    }
}
