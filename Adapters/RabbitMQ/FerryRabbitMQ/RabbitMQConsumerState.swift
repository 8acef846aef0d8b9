import Ferry

/// The RabbitMQ consumer's shared state: deliveries fetched and not handed out, how many are
/// out and not settled, and whether it is closed. Changed under one lock; each method says
/// what the source does next.
struct RabbitMQConsumerState: FetchingState {
    /// A delivery and the connection generation it came on (its tag means nothing on another).
    typealias Fetched = (delivered: AMQPDelivered, generation: Int)
    typealias Message = Fetched

    private var fetched = FetchBuffer<Fetched>()
    private var unsettled = 0
    private(set) var closed = false

    mutating func next() -> FetchStep<Fetched> {
        guard !closed else { return .closed }
        guard let delivery = fetched.popFirst() else { return .fetch }
        unsettled += 1
        return .message(delivery)
    }

    mutating func accept(_ batch: [Fetched]) { fetched.append(contentsOf: batch) }

    mutating func settled() { unsettled -= 1 }

    mutating func close() { closed = true }

    /// How long a fetch waits for a first delivery: briefly while deliveries are out, so that
    /// their acks, written on the same thread before each fetch, are not held up.
    var fetchWait: Duration { unsettled > 0 ? .milliseconds(2) : .milliseconds(100) }
}
