import Instrumentation

/// Sends events to one endpoint. Every send returns only once the broker has confirmed (or
/// refused) each message, so a receipt means the broker has it.
public protocol Publisher: Sendable {
    /// One result per event, in order: a batch can partly fail, and nothing is dropped unseen.
    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>]
    /// Sends messages that bypass the envelope (tools and tests: plain, structured, malformed).
    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>]
    /// Waits for what is in flight, then releases the connection.
    func close() async
}

extension Publisher {
    /// Publishes one event, with the current trace context injected when it carries none.
    public func publish(_ event: Event) async throws -> Receipt {
        try await send([Self.traced(event)])[0].get()
    }

    /// Publishes a batch; throws the first failure, naming how many of the batch failed.
    public func publish(_ events: [Event]) async throws -> [Receipt] {
        try Self.all(await send(events.map(Self.traced)))
    }

    /// `event` with the current trace context (swift-distributed-tracing) injected, unless it
    /// already carries one.
    static func traced(_ event: Event) -> Event {
        guard event.traceparent == nil, let context = InstrumentationContext.current else { return event }
        var traced = event
        InstrumentationSystem.instrument.inject(context, into: &traced, using: EventInjector())
        return traced
    }

    public func publish(raw message: RawMessage) async throws -> Receipt {
        try await send(raw: [message])[0].get()
    }

    public func publish<Payload: EventPayload>(
        _ payload: Payload, source: String, subject: String? = nil, partitionkey: String? = nil
    ) async throws -> Receipt {
        try await publish(Event(payload, source: source, subject: subject, partitionkey: partitionkey))
    }

    static func all(_ results: [Result<Receipt, FerryError>]) throws(FerryError) -> [Receipt] {
        var receipts: [Receipt] = []
        receipts.reserveCapacity(results.count)
        var failures: [FerryError] = []
        for result in results {
            switch result {
            case .success(let receipt): receipts.append(receipt)
            case .failure(let error): failures.append(error)
            }
        }
        guard let first = failures.first else { return receipts }
        var error = first
        if failures.count > 1 { error.message += " (and \(failures.count - 1) more of \(results.count) in the batch failed)" }
        throw error
    }
}
