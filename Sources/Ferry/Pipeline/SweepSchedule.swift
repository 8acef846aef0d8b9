/// When a durable idempotency store deletes its expired marks: once every thousand keys
/// written, so the sweep's cost is spread thin and no timer is needed.
package final class SweepSchedule: Sendable {
    private let written = Locked(0)

    package init() {}

    /// Counts `count` writes; true when they cross a thousand since the last sweep.
    package func due(after count: Int) -> Bool {
        written.withLock { written in
            let before = written / 1000
            written += count
            return written / 1000 != before
        }
    }
}
