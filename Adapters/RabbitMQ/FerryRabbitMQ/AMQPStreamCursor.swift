import Ferry

/// A subscription's place in a RabbitMQ stream queue. RabbitMQ keeps no position for an AMQP
/// 0-9-1 reader, so the cursor does: a consumer that reconnects attaches again at the first
/// offset it has not settled, not at its start.
struct AMQPStreamCursor: Sendable {
    private let start: SubscribeOptions.Start
    /// Offsets handed out and not yet settled.
    private var unsettled: Set<Int64> = []
    /// The offset after the last one handed out.
    private var next: Int64?
    /// False until the first message that is not from just before a start time: RabbitMQ
    /// attaches a time at the chunk that holds its second (AMQP timestamps are seconds), so the
    /// events of that chunk written before the time are passed over. Only events whose time
    /// falls in the second before the start are: the broker keeps no arrival time per message,
    /// and an old event relayed into the stream later must not be taken for one.
    private var attached: Bool

    /// The header a stream queue gives each delivery its offset in.
    static let header = "x-stream-offset"

    /// The delivery's offset; nil when the header is missing or out of range (it is the broker's).
    static func offset(of delivered: AMQPDelivered) -> Int64? {
        delivered.message.headers[header].flatMap { Int64($0) }.flatMap { (0..<Int64.max).contains($0) ? $0 : nil }
    }

    /// Refuses a start at a time or an offset on a queue that is not a stream.
    init(_ start: SubscribeOptions.Start, endpoint: AMQPEndpoint, queue: String) throws(FerryError) {
        switch start {
        case .time, .offset:
            guard endpoint.queueType == "stream" else {
                throw start.refused(
                    by: "RabbitMQ queue '\(queue)' (a \(endpoint.queueType) queue)",
                    remedy: "read a stream queue, which keeps history: ?queue=NAME&queue-type=stream")
            }
        case .earliest, .latest: break
        }
        if case .offset(let text) = start, Int64(text).map({ $0 < 0 }) ?? true {
            throw FerryError(.invalidConfiguration, "start offset '\(text)' is not a RabbitMQ stream offset (a number from 0)")
        }
        self.start = start
        if case .time = start { attached = false } else { attached = true }
    }

    /// The `x-stream-offset` consumer argument: where to attach now.
    var arguments: [(String, AMQPArena.Value)] { [(Self.header, attachPoint)] }

    private var attachPoint: AMQPArena.Value {
        if let resume = unsettled.min() ?? next { return .long(resume) }
        switch start {
        case .earliest: return .string("first")
        case .latest: return .string("next")
        case .time(let time): return .timestamp(UInt64(max(0, Event.micros(of: time) / 1_000_000)))
        case .offset(let text): return .long(Int64(text) ?? 0)
        }
    }

    /// Records `offset` as handed out; true when it comes before the start time and is to be
    /// passed over (acknowledged unseen).
    mutating func deliver(_ offset: Int64, eventMicros: () -> Int64?) -> Bool {
        next = max(next ?? 0, offset + 1)
        if !attached, case .time(let time) = start {
            let startMicros = Event.micros(of: time)
            let earliest = startMicros / 1_000_000 * 1_000_000 - 1_000_000
            if let micros = eventMicros(), micros < startMicros, micros >= earliest { return true }
            attached = true
        }
        unsettled.insert(offset)
        return false
    }

    mutating func settle(_ offset: Int64) { unsettled.remove(offset) }
}
