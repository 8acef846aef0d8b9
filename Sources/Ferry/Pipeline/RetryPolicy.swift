/// How often and how soon a failed event is tried again before it is dead-lettered.
/// Exponential backoff with jitter, as Watermill's and Spring's retry middlewares do it.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first delivery included; the last failure dead-letters.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// Each delay is moved at random by up to this fraction either way (0...1), so retries of
    /// many events do not arrive together.
    public var jitter: Double
    /// Whether an error is worth another attempt; a `false` dead-letters at once.
    public var isRetryable: @Sendable (any Error) -> Bool

    public init(
        maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(200), multiplier: Double = 2,
        maxDelay: Duration = .seconds(60), jitter: Double = 0.2,
        isRetryable: @escaping @Sendable (any Error) -> Bool = { !($0 is PermanentFailure) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = max(1, multiplier)
        self.maxDelay = maxDelay
        self.jitter = min(1, max(0, jitter))
        self.isRetryable = isRetryable
    }

    /// The delay before the attempt after `attempt` (1-based) failed.
    public func delay(after attempt: Int) -> Duration {
        let base = Double(initialDelay.microseconds) * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, Double(maxDelay.microseconds))
        let spread = capped * jitter * Double.random(in: -1...1)
        return .microseconds(Int64(max(0, capped + spread)))
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    for _ in 0..<Int(exponent) { result *= base }
    return result
}
