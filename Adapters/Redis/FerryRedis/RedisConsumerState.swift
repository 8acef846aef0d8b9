import Ferry

/// The Redis consumer's shared state: entries fetched and not handed out, entries held by this
/// member (handed out, or waiting for their retry), retries with their due time and attempt,
/// and when each held entry first failed. Changed under one lock; each method says what the
/// source does next.
struct RedisConsumerState: FetchingState {
    typealias Fetched = (entry: RedisEntry, attempt: Int)
    typealias Message = (entry: RedisEntry, attempt: Int, firstFailureMicros: Int64?)

    private var fetched = FetchBuffer<Fetched>()
    /// Entry id -> when its retry is due (microseconds) and the attempt it will be.
    private var retries: [String: (due: Int64, attempt: Int)] = [:]
    /// XAUTOCLAIM also returns this member's own idle entries, which must not be delivered twice.
    private var held: Set<String> = []
    private var firstFailures: [String: Int64] = [:]
    private(set) var closed = false

    mutating func next() -> FetchStep<Message> {
        guard !closed else { return .closed }
        guard let (entry, attempt) = fetched.popFirst() else { return .fetch }
        let id = entry.id ?? ""
        held.insert(id)
        return .message((entry, attempt, firstFailures[id]))
    }

    mutating func accept(_ batch: [Fetched]) { fetched.append(contentsOf: batch) }

    /// Keeps the entry pending and held, to be claimed back as `attempt` once `due` has passed.
    mutating func retry(_ id: String, due: Int64, attempt: Int, firstFailure: Int64) {
        retries[id] = (due, attempt)
        firstFailures[id] = firstFailure
    }

    /// The entry is acked or dead-lettered: this member forgets it.
    mutating func settled(_ id: String) {
        held.remove(id)
        firstFailures.removeValue(forKey: id)
    }

    /// The retries due at `now`, in id order, no longer waiting.
    mutating func takeDue(now: Int64) -> [(id: String, attempt: Int)] {
        let due = retries.filter { $0.value.due <= now }.map { (id: $0.key, attempt: $0.value.attempt) }.sorted { $0.id < $1.id }
        for item in due { retries.removeValue(forKey: item.id) }
        return due
    }

    /// Of the ids another member left idle, those this member does not hold itself.
    func orphans(_ ids: [String]) -> [String] { ids.filter { !held.contains($0) } }

    mutating func close() { closed = true }
}
