import Ferry
import Metrics

/// The relay's metrics (swift-metrics), created once per route: events in and out, copy
/// latency, retries, dead letters, dedup hits, and the source's lag.
struct RelayMetrics: Sendable {
    let eventsIn: Counter
    let eventsOut: Counter
    let duplicates: Counter
    let retries: Counter
    let deadLetters: Counter
    let confirmLatency: Timer
    let lag: Gauge

    init(route: String) {
        let dimensions = [("route", route)]
        eventsIn = Counter(label: "ferry_relay_events_in", dimensions: dimensions)
        eventsOut = Counter(label: "ferry_relay_events_out", dimensions: dimensions)
        duplicates = Counter(label: "ferry_relay_dedup_hits", dimensions: dimensions)
        retries = Counter(label: "ferry_relay_retries", dimensions: dimensions)
        deadLetters = Counter(label: "ferry_relay_dead_letters", dimensions: dimensions)
        confirmLatency = Timer(label: "ferry_relay_confirm_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        lag = Gauge(label: "ferry_relay_source_lag", dimensions: dimensions)
    }
}
