import Metrics

/// A publisher that records how long the broker took to confirm each send and how many events
/// it confirmed, under the same names on every broker (`Transports.publisher`).
struct MeteredPublisher: Publisher {
    let base: any Publisher
    let confirmLatency: Timer
    let published: Counter

    init(_ base: any Publisher, endpoint: Endpoint) {
        self.init(base, label: endpoint.label)
    }

    /// `label`: the `endpoint` dimension (one per destination, so never one per requester).
    init(_ base: any Publisher, label: String) {
        self.base = base
        let dimensions = [("endpoint", label)]
        confirmLatency = Timer(label: "ferry_publish_confirm_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        published = Counter(label: "ferry_events_published", dimensions: dimensions)
    }

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        await timed { await base.send(events) }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await timed { await base.send(raw: messages) }
    }

    func close() async { await base.close() }

    private func timed(_ body: () async -> [Result<Receipt, FerryError>]) async -> [Result<Receipt, FerryError>] {
        let started = ContinuousClock.now
        let results = await body()
        confirmLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        published.increment(by: results.count { if case .success = $0 { true } else { false } })
        return results
    }
}
