import ArgumentParser
import Ferry
import Foundation

/// What every `ferry dlq` command reads: a dead-letter endpoint, until no letter has come for
/// `--quiet` seconds, the letters of one reason class only with `--reason`.
struct DeadLetterSource: ParsableArguments {
    @Argument(help: "The dead-letter endpoint.")
    var endpoint: String

    @Option(help: "Only letters with this reason class (decode, schema, handler, retries-exhausted, timeout, rejected, loop, crashed).")
    var reason: String?

    @Option(help: "Stop when no letter arrived for this many seconds.")
    var quiet: Double = 3

    @OptionGroup var common: CommonOptions

    /// Delivers dead letters (with their record) of the `--reason` class to `body` as a member
    /// of `group` until none arrives for `--quiet`, or `body` returns false. Letters not passed
    /// to `body`, or that it does not settle, go back to the group.
    func read(
        group: String, with transports: Transports, _ body: (Delivery, DeadLetterRecord?) async throws -> Bool
    ) async throws {
        let dlq = try Endpoint(endpoint)
        let subscription = try await transports.transport(for: dlq).subscribe(
            to: dlq, options: SubscribeOptions(group: group, start: .earliest))
        defer { Task { await subscription.close() } }
        while let delivery = try await next(subscription) {
            let record = DeadLetterRecord(headers: delivery.event.headers)
            guard reason == nil || record?.reason.code.name == reason else { continue }
            guard try await body(delivery, record) else { break }
        }
        await subscription.close()
    }

    private func next(_ subscription: Subscription) async throws -> Delivery? {
        let quiet = Duration.milliseconds(Int(quiet * 1000))
        return try await withThrowingTaskGroup(of: Delivery?.self) { group in
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
