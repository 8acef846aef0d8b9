/// How many deliveries a serial `Consumer` admits at once (one call to the idempotency store
/// for the batch): as many as it handles well within a reservation, so that no reservation
/// runs out while its delivery waits its turn (behind the batch before it, at most). It starts
/// at one and at most doubles per batch, while a quarter of the reservation holds the batch at
/// the pace of its slowest handler.
struct ReservationWindow: Sendable {
    let limit: Int
    let reservation: Duration
    private(set) var size = 1

    init(limit: Int, reservation: Duration) {
        self.limit = max(1, limit)
        self.reservation = reservation
    }

    /// Whether the next batch may be admitted while this one is handled: only while batches of
    /// more than one fit, else its reservations would age behind slow handlers.
    var admitsAhead: Bool { size > 1 }

    /// A batch was handled; its slowest handler took `slowest`.
    mutating func observe(slowest: Duration) {
        let budget = reservation / 4
        let fits = slowest > .zero ? Int(min(Double(limit), budget / slowest)) : limit
        size = max(1, min(2 * size, fits, limit))
    }
}
