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
    /// Hands out nothing more.
    mutating func close()
}

/// A source built on a `FetchingState`: it fetches batches on its own executor and hands
/// them out one at a time. Conforming gives it `next`, `nextIfReady` and `stop`.
package protocol FetchingSource: MessageSource {
    associatedtype State: FetchingState
    var state: Locked<State> { get }
    /// The thread `fetch` runs on (the one its connection is confined to).
    var fetchExecutor: BlockingExecutor { get }
    /// One batch from the broker, empty when none came in a short wait.
    func fetch() -> [State.Fetched]
    func inbound(_ message: State.Message) -> Inbound
}

extension FetchingSource {
    /// The next message, fetching batches on `fetchExecutor` until one comes or the state closes.
    package func next() async throws -> Inbound? {
        while true {
            try Task.checkCancellation()
            switch state.withLock({ $0.next() }) {
            case .closed: return nil
            case .message(let message): return inbound(message)
            case .fetch:
                let batch = await fetchExecutor.run { fetch() }
                state.withLock { $0.accept(batch) }
            }
        }
    }

    /// A message already fetched, if there is one.
    package func nextIfReady() -> Inbound? {
        guard case .message(let message) = state.withLock({ $0.next() }) else { return nil }
        return inbound(message)
    }

    package func stop() { state.withLock { $0.close() } }
}
