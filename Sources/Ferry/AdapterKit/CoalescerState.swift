/// The state machine behind `Coalescer`: requests waiting for a batch, and whether a drain is
/// running. Each transition returns what the caller must do next.
struct CoalescerState<Item: Sendable, Output: Sendable>: Sendable {
    /// A request; without a continuation nobody waits for its outputs.
    typealias Waiter = (items: [Item], continuation: CheckedContinuation<[Output], Never>?)

    private var waiting: [Waiter] = []
    private var draining = false

    /// Queues a request; true when no drain is running and the caller must start one.
    mutating func enqueue(_ items: [Item], _ continuation: CheckedContinuation<[Output], Never>) -> Bool {
        waiting.append((items, continuation))
        return startDrain()
    }

    /// Queues an item nobody waits for (an ack). It joins the last request while nobody waits
    /// for that one either and it has fewer than `limit` items: a run of acks is one request,
    /// not one array each. True when the caller must start a drain.
    mutating func enqueue(_ item: Item, limit: Int) -> Bool {
        if let last = waiting.indices.last, waiting[last].continuation == nil, waiting[last].items.count < limit {
            waiting[last].items.append(item)
        } else {
            waiting.append(([item], nil))
        }
        return startDrain()
    }

    private mutating func startDrain() -> Bool {
        guard !draining else { return false }
        draining = true
        return true
    }

    /// The next requests to carry out together, whole, up to `limit` items (at least one
    /// request); nil when none wait, which ends the drain.
    mutating func nextBatch(limit: Int) -> [Waiter]? {
        guard !waiting.isEmpty else {
            draining = false
            return nil
        }
        var total = 0
        var count = 0
        while count < waiting.count, count == 0 || total + waiting[count].items.count <= limit {
            total += waiting[count].items.count
            count += 1
        }
        defer { waiting.removeFirst(count) }
        return Array(waiting.prefix(count))
    }
}
