/// What a consumer's state machine tells its source to do next.
package enum FetchStep<Message> {
    case message(Message)
    /// Nothing is buffered: fetch a batch from the broker.
    case fetch
    case closed
}

/// The state of a consumer that fetches batches on its own thread and hands them out one at
/// a time. It lives behind one lock (`Locked`); its methods return what the source must do.
package protocol FetchingState: Sendable {
    /// What one fetch brings from the broker.
    associatedtype Fetched: Sendable
    /// What the source turns into an `Inbound`.
    associatedtype Message: Sendable

    mutating func next() -> FetchStep<Message>
    mutating func accept(_ batch: [Fetched])
}

extension Locked where State: FetchingState {
    /// The next message, fetching batches on `executor` until one comes or the state closes.
    package func next(fetchingOn executor: BlockingExecutor, _ fetch: @escaping @Sendable () -> [State.Fetched]) async throws
        -> State.Message?
    {
        while true {
            try Task.checkCancellation()
            switch withLock({ $0.next() }) {
            case .closed: return nil
            case .message(let message): return message
            case .fetch:
                let batch = await executor.run(fetch)
                withLock { $0.accept(batch) }
            }
        }
    }

    /// A message already fetched, if there is one.
    package func nextIfReady() -> State.Message? {
        guard case .message(let message) = withLock({ $0.next() }) else { return nil }
        return message
    }
}
