/// How a `Consumer` treats failures and duplicates.
public struct ConsumerOptions: Sendable {
    public var retry: RetryPolicy
    /// Where handled events are remembered; nil turns deduplication off.
    public var idempotency: (any IdempotencyStore)?
    /// How long a key stays reserved while its event is handled; a crashed handler's event is
    /// handled again after this.
    public var reservation: Duration
    /// How long a handled key is remembered: duplicates arriving later are handled again.
    public var retention: Duration
    /// A handler running longer than this is cancelled and counts as failed (reason `timeout`).
    public var handlerTimeout: Duration?
    /// Events of types these schemas know are validated before the handler runs; an unknown
    /// version or invalid data goes to the dead-letter destination (reason `schema`/`decode`).
    public var schemas: SchemaRegistry?
    /// Handlers running at once (default 1). Events of one partition key still go one after
    /// another, in order; each is still acked only after its handler succeeded.
    public var concurrency: Int

    public init(
        retry: RetryPolicy = RetryPolicy(), idempotency: (any IdempotencyStore)? = MemoryIdempotencyStore(),
        reservation: Duration = .seconds(60), retention: Duration = .seconds(24 * 3600), handlerTimeout: Duration? = nil,
        schemas: SchemaRegistry? = nil, concurrency: Int = 1
    ) {
        self.schemas = schemas
        self.concurrency = max(1, concurrency)
        self.retry = retry
        self.idempotency = idempotency
        self.reservation = reservation
        self.retention = retention
        self.handlerTimeout = handlerTimeout
    }
}

extension ConsumerOptions {
    /// The failure policy: nil to retry, else why the event goes to the dead-letter destination.
    package func deadLetterReason(for error: any Error, attempt: Int) -> DeadLetterReason? {
        let maxAttempts = retry.maxAttempts
        switch error {
        case let permanent as PermanentFailure:
            return permanent.reason
        case let ferry as FerryError where ferry.code == .payloadDecoding:
            return DeadLetterReason(.decode, ferry.message)
        case let ferry as FerryError where ferry.code == .schemaViolation:
            return DeadLetterReason(.schema, ferry.message)
        case let timeout as HandlerTimeout where attempt >= maxAttempts:
            return DeadLetterReason(.timeout, "\(timeout) on attempt \(attempt) of \(maxAttempts)")
        case _ where !retry.isRetryable(error):
            return DeadLetterReason(.handler, "\(error)")
        case _ where attempt >= maxAttempts:
            return DeadLetterReason(.retriesExhausted, "failed \(attempt) times; last error: \(error)")
        default:
            return nil
        }
    }
}
