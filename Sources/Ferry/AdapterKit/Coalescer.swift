/// Group commit for a blocking C client: requests made while a batch is being carried out wait
/// and go together in the next one, so that concurrent single-event sends (the relay's, a
/// service's) share one round trip and one confirm window instead of queueing one by one.
/// Batches run on `executor`, one at a time.
package final class Coalescer<Item: Sendable, Output: Sendable>: Sendable {
    private let executor: BlockingExecutor
    private let limit: Int
    /// How long queued work waits for company before a batch starts (none for sends).
    private let delay: Duration
    private let state = Locked(CoalescerState<Item, Output>())
    /// Carries out one batch: one output per item, in order.
    private let body: @Sendable ([Item]) -> [Output]

    package init(executor: BlockingExecutor, limit: Int, delay: Duration = .zero, _ body: @escaping @Sendable ([Item]) -> [Output]) {
        self.executor = executor
        self.limit = limit
        self.delay = delay
        self.body = body
    }

    /// Carries out `items` with whatever else is waiting; returns their outputs, in order.
    @discardableResult
    package func submit(_ items: [Item]) async -> [Output] {
        guard !items.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            if state.withLock({ $0.enqueue(items, continuation) }) {
                executor.execute { [self] in drain() }
            }
        }
    }

    /// Queues `item` for the next batch without waiting for it (an ack, whose loss only means
    /// a redelivery); the batch starts after `delay`, or sooner through `drain()`.
    package func enqueue(_ item: Item) {
        if state.withLock({ $0.enqueue(item, limit: limit) }) {
            executor.execute(after: delay) { [self] in drain() }
        }
    }

    /// Carries out everything waiting, now. Call it only on the executor's thread.
    package func drain() {
        while let waiters = state.withLock({ $0.nextBatch(limit: limit) }) {
            let outputs = body(waiters.count == 1 ? waiters[0].items : waiters.flatMap(\.items))
            var start = 0
            for waiter in waiters {
                let end = start + waiter.items.count
                waiter.continuation?.resume(returning: Array(outputs[start..<end]))
                start = end
            }
        }
    }
}
