/// The requests a `Requester` waits on, by command id (a reply's `causationid`): a state machine that returns what
/// to do (resume a waiter, drop a late reply), unit-tested without a broker.
///
/// A request is expected before its command is sent, so a reply that beats the waiter is kept
/// for it; every way out (reply, timeout, cancellation) forgets the request, so nothing grows
/// with requests that ended but the ids of the last 1,024 answered: a second reply to one of
/// those (its command delivered again) is a duplicate, not a late reply.
struct PendingReplies<Waiter: Sendable>: Sendable {
    enum Slot {
        case expected
        case waiting(Waiter)
        case arrived(Event)
    }

    enum ReplyAction {
        case resume(Waiter, Event)
        /// Kept until the waiter comes.
        case keep
        /// Nobody waits for it (timed out, cancelled, another requester's): dropped and counted.
        case late
        /// Another reply to a request answered already: dropped and counted apart.
        case duplicate
    }

    enum WaitAction {
        case resume(Event)
        /// Forgotten before the waiter came (cancelled): it must not wait.
        case cancelled
        case wait
    }

    private var slots: [String: Slot] = [:]
    private(set) var lateReplies = 0
    private(set) var duplicateReplies = 0
    /// Requests answered lately, oldest first in `answeredOrder` (a ring from `oldest`).
    private var answered: Set<String> = []
    private var answeredOrder: [String] = []
    private var oldest = 0
    static var remembered: Int { 1_024 }

    var count: Int { slots.count }

    /// False when a request with this id is open already (its waiter must not be lost).
    mutating func expect(_ id: String) -> Bool {
        guard slots[id] == nil else { return false }
        slots[id] = .expected
        return true
    }

    mutating func wait(_ id: String, _ waiter: Waiter) -> WaitAction {
        switch slots[id] {
        case .expected?:
            slots[id] = .waiting(waiter)
            return .wait
        case .arrived(let reply)?:
            slots[id] = nil
            remember(id)
            return .resume(reply)
        case .waiting?, nil:
            return .cancelled
        }
    }

    mutating func arrived(_ reply: Event) -> ReplyAction {
        guard let id = reply.causationid else {
            lateReplies += 1
            return .late
        }
        switch slots[id] {
        case .expected?:
            slots[id] = .arrived(reply)
            return .keep
        case .waiting(let waiter)?:
            slots[id] = nil
            remember(id)
            return .resume(waiter, reply)
        case .arrived?:
            duplicateReplies += 1
            return .duplicate
        case nil:
            guard answered.contains(id) else {
                lateReplies += 1
                return .late
            }
            duplicateReplies += 1
            return .duplicate
        }
    }

    private mutating func remember(_ id: String) {
        guard answered.insert(id).inserted else { return }
        if answeredOrder.count < Self.remembered {
            answeredOrder.append(id)
        } else {
            answered.remove(answeredOrder[oldest])
            answeredOrder[oldest] = id
            oldest = (oldest + 1) % Self.remembered
        }
    }

    /// Ends a request; the waiter, if one waits, to be resumed with the error.
    mutating func forget(_ id: String) -> Waiter? {
        guard case .waiting(let waiter)? = slots.removeValue(forKey: id) else { return nil }
        return waiter
    }
}
