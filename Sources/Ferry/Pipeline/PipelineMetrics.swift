import Metrics

/// The metrics of one pipeline (swift-metrics), created once and named the same on every
/// broker, whether a `Consumer` or a relay route runs it. Dimensions: the endpoint without
/// credentials or options, the group, and whatever the owner adds (a relay's route).
struct PipelineMetrics: Sendable {
    let received: Counter
    let handled: Counter
    let failed: Counter
    let retried: Counter
    let deadLettered: Counter
    let duplicates: Counter
    let handlerDuration: Timer
    let lag: Gauge
    let settleFailures: Counter

    init(endpoint: Endpoint, group: String, dimensions extra: [(String, String)]) {
        let dimensions = extra + [("endpoint", endpoint.label), ("group", group)]
        received = Counter(label: "ferry_events_received", dimensions: dimensions)
        handled = Counter(label: "ferry_events_handled", dimensions: dimensions)
        failed = Counter(label: "ferry_events_failed", dimensions: dimensions)
        retried = Counter(label: "ferry_events_retried", dimensions: dimensions)
        deadLettered = Counter(label: "ferry_events_dead_lettered", dimensions: dimensions)
        duplicates = Counter(label: "ferry_duplicates_skipped", dimensions: dimensions)
        handlerDuration = Timer(label: "ferry_handler_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        lag = Gauge(label: "ferry_consumer_lag", dimensions: dimensions)
        settleFailures = Counter(label: "ferry_settle_failures", dimensions: dimensions)
    }
}
