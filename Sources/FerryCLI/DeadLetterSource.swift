import ArgumentParser
import Ferry
import Foundation

/// What every `ferry dlq` command reads: the letters of a dead-letter endpoint that `--group`
/// has not settled yet, of one reason class only with `--reason`. `list` and `show` browse them
/// without moving anything; `purge` and `replay` settle them as that group, so that `list`
/// no longer shows them.
struct DeadLetterSource: ParsableArguments {
    @Argument(help: "The dead-letter endpoint.")
    var endpoint: String

    @Option(help: "The group whose position in the DLQ purge and replay move, and after which list and show read.")
    var group: String = "ferry-dlq"

    @Option(help: "Only letters with this reason class (decode, schema, handler, retries-exhausted, timeout, rejected, loop, crashed).")
    var reason: String?

    @Option(help: "purge and replay: stop when no letter arrived for this many seconds.")
    var quiet: Double = 3

    @OptionGroup var common: CommonOptions

    /// A letter may be there for being over a consumer's limits: the dlq commands read it anyway.
    static let limits = MessageLimits(maxBytes: 1 << 30, maxHeaders: 1 << 20, maxNesting: 32)

    /// Shows `body` each letter of the `--reason` class that `--group` has not settled, until
    /// the end of the DLQ or `body` returns false. Joins, creates and settles nothing. A letter
    /// that cannot be read at all comes as a failure.
    func browse(
        with transports: Transports, _ body: (Position, Result<Event, FerryError>, DeadLetterRecord?) async throws -> Bool
    ) async throws {
        let dlq = try common.endpoint(endpoint)
        guard let browsable = try transports.transport(for: dlq) as? any Browsable else {
            throw FerryError(.unsupported, "the \(dlq.scheme) transport cannot list a destination without consuming it")
        }
        try await browsable.browse(dlq, group: group, limits: Self.limits) { browsed in
            let event = browsed.envelope.map(\.event)
            let record = (try? event.get()).flatMap { DeadLetterRecord(headers: $0.headers) }
            guard reason == nil || record?.reason.code.name == reason else { return true }
            return try await body(browsed.position, event, record)
        }
    }

    /// Delivers dead letters (with their record) of the `--reason` class to `body` as a member
    /// of `--group` until none arrives for `--quiet`, `body` returns false, or the run comes
    /// back to a letter it passed over (`DeadLetterPass`, which also moves letters of other
    /// reasons out of the way). Letters `body` does not settle go back to the group. Every run
    /// is the same member (`ferry-dlq`), so that on Redis it takes up what an earlier run left
    /// pending at once.
    func read(
        with transports: Transports, _ body: (Delivery, DeadLetterRecord?, DeadLetterPass) async throws -> Bool
    ) async throws {
        let dlq = try common.endpoint(endpoint)
        let subscription = try await transports.transport(for: dlq).subscribe(
            to: dlq, options: SubscribeOptions(group: group, consumer: "ferry-dlq", start: .earliest, limits: Self.limits))
        let pass = DeadLetterPass(dlq: dlq, transports: transports)
        do {
            while let delivery = try await next(subscription), !pass.madeByThisRun(delivery) {
                let record = DeadLetterRecord(headers: delivery.event.headers)
                if reason == nil || record?.reason.code.name == reason {
                    guard try await body(delivery, record, pass) else { break }
                } else {
                    try await pass.passOver(delivery)
                }
            }
        } catch {
            await pass.close()
            await subscription.close()
            throw error
        }
        await pass.close()
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
