import Ferry
import Foundation

/// Watches a sink fill up: when the first copied event arrived and when the last one did, so
/// the relay and the raw copy loop are timed the same way, from outside.
struct SinkWatch {
    /// Events in the sink now (XLEN, queue depth); called on a dedicated thread.
    let count: @Sendable () throws -> Int

    struct Result {
        var rate: Double
        /// Resident MiB of `pid` sampled along the way: after a fifth of the events (the
        /// relay's memory idempotency store is full by then), and the peak.
        var residentAtFifth: Double?
        var peakResident: Double?
    }

    /// Waits until the sink holds `expected` events (or `timeout`); samples `pid`'s memory.
    func wait(for expected: Int, pid: Int32? = nil, timeout: Duration) async throws -> Result {
        let executor = BlockingExecutor(label: "bench.watch")
        let deadline = ContinuousClock.now + timeout
        var first: (at: ContinuousClock.Instant, count: Int)?
        var result = Result(rate: 0)
        while true {
            let now = try await executor.run { [count] () throws in try count() }
            let at = ContinuousClock.now
            if let pid, let resident = ProcessMemory.resident(pid) {
                result.peakResident = max(result.peakResident ?? 0, resident)
                if result.residentAtFifth == nil, now >= expected / 5 { result.residentAtFifth = resident }
            }
            if first == nil, now > 0 { first = (at, now) }
            if now >= expected, let first {
                result.rate = Rate.perSecond(expected - first.count, at - first.at)
                if let pid, let peak = ProcessMemory.peak(pid) { result.peakResident = peak }
                return result
            }
            guard ContinuousClock.now < deadline else {
                throw BenchmarkFailure("the sink holds \(now) of \(expected) events after \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
