/// Delayed retry through per-delay queues (message TTL, then dead-lettered back to the origin
/// queue) needs one queue per delay; rounding delays up to a fixed set of buckets keeps that
/// number small whatever backoff and jitter produce.
enum RetryDelayBuckets {
    static let milliseconds: [Int64] = [
        100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000,
        1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
    ]

    /// The smallest bucket at or above `delay` (the largest bucket for longer delays).
    static func bucket(for delay: Duration) -> Int64 {
        let wanted = delay.microseconds / 1000
        return milliseconds.first { $0 >= wanted } ?? milliseconds.last!
    }
}
