import Ferry

/// One route of the relay: events from `source` (as consumer group `group`) to every sink.
public struct RouteConfiguration: Sendable {
    public var name: String
    public var source: Endpoint
    public var group: String
    public var sinks: [Endpoint]
    /// Only events of these types are copied (all when empty); others are acked and skipped.
    public var types: Set<String>
    /// Only events whose subject starts with this are copied.
    public var subjectPrefix: String?
    /// Validate, and upcast events of known types to this version, before copying.
    public var upcastTo: Int?
    /// An event that has crossed this many relays is dead-lettered with reason `loop`.
    public var maxHops: Int
    /// Events per batch sent to the sinks; at most two batches are held (one sent, one read).
    public var inFlight: Int
    /// Messages the source's client may fetch ahead, per partition (`SubscribeOptions.readAhead`):
    /// with librdkafka's default of 100,000 a busy relay peaked at 130 MiB, with 20,000 at 94 MiB
    /// and about 13 % less copy rate (BENCHMARKS.md, "Relay memory").
    public var readAhead: Int
    /// Failed events go to the source's dead-letter destination after this.
    public var retry: RetryPolicy
    /// How long a copied event is remembered: a duplicate arriving later is copied again.
    public var dedupRetention: Duration
    /// A source message larger than these is dead-lettered with reason `decode`, not read.
    public var limits: MessageLimits

    public static let defaultDedupRetention = Duration.seconds(7 * 24 * 3600)
    public static let defaultReadAhead = 20_000

    public init(
        name: String, source: Endpoint, group: String, sinks: [Endpoint], types: Set<String> = [], subjectPrefix: String? = nil,
        upcastTo: Int? = nil, maxHops: Int = 5, inFlight: Int = 256, readAhead: Int = RouteConfiguration.defaultReadAhead,
        retry: RetryPolicy = RetryPolicy(),
        dedupRetention: Duration = RouteConfiguration.defaultDedupRetention, limits: MessageLimits = MessageLimits()
    ) {
        self.name = name
        self.source = source
        self.group = group
        self.sinks = sinks
        self.types = types
        self.subjectPrefix = subjectPrefix
        self.upcastTo = upcastTo
        self.maxHops = maxHops
        self.inFlight = inFlight
        self.readAhead = readAhead
        self.retry = retry
        self.dedupRetention = dedupRetention
        self.limits = limits
    }
}
