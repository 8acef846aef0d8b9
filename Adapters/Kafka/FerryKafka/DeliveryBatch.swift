import Ferry
import Synchronization

/// Collects the delivery reports of one batch of produced records and wakes the publisher
/// when the last one is in. Reports arrive on librdkafka's poll thread.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<Receipt, FerryError>?]
        var remaining: Int
        var waiter: CheckedContinuation<[Result<Receipt, FerryError>], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    func complete(_ index: Int, _ result: Result<Receipt, FerryError>) {
        let resume: (CheckedContinuation<[Result<Receipt, FerryError>], Never>, [Result<Receipt, FerryError>])? =
            state.withLock { state in
                guard state.results[index] == nil else { return nil }
                state.results[index] = result
                state.remaining -= 1
                guard state.remaining == 0, let waiter = state.waiter else { return nil }
                state.waiter = nil
                return (waiter, state.results.map { $0! })
            }
        if let (waiter, results) = resume { waiter.resume(returning: results) }
    }

    /// Every result, in order, once all are in.
    func results() async -> [Result<Receipt, FerryError>] {
        await withCheckedContinuation { continuation in
            let ready: [Result<Receipt, FerryError>]? = state.withLock { state in
                if state.remaining == 0 { return state.results.map { $0! } }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
