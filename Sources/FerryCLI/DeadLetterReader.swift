import Ferry
import Foundation

/// Reads the dead letters of a DLQ endpoint for the `ferry dlq` commands.
struct DeadLetterReader {
    let transports: Transports
    let endpoint: Endpoint

    /// Delivers dead letters (with their record) to `body` until none arrives for `quiet`, or
    /// `body` returns false. Letters `body` does not settle go back to the group.
    func read(
        group: String, quiet: Duration, _ body: (Delivery, DeadLetterRecord?) async throws -> Bool
    ) async throws {
        let subscription = try await transports.transport(for: endpoint).subscribe(
            to: endpoint, options: SubscribeOptions(group: group, start: .earliest))
        defer { Task { await subscription.close() } }
        while let delivery = try await next(subscription, within: quiet) {
            guard try await body(delivery, DeadLetterRecord(headers: delivery.event.headers)) else { break }
        }
        await subscription.close()
    }

    private func next(_ subscription: Subscription, within quiet: Duration) async throws -> Delivery? {
        try await withThrowingTaskGroup(of: Delivery?.self) { group in
            group.addTask { try await subscription.next() }
            group.addTask {
                try await Task.sleep(for: quiet)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
