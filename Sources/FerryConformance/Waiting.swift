import Ferry

/// Runs `operation`, failing with `what` if it takes longer than `limit`.
public func within<T: Sendable>(
    _ limit: Duration, _ what: String, file: String = #fileID, line: Int = #line,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw ConformanceFailure(message: "timed out after \(limit): \(what)", file: file, line: line)
        }
        return value
    }
}

extension Subscription {
    /// The next `count` deliveries, each within `limit`.
    public func take(_ count: Int, within limit: Duration, _ what: String, file: String = #fileID, line: Int = #line)
        async throws -> [Delivery]
    {
        var out: [Delivery] = []
        while out.count < count {
            let delivery = try await within(limit, "\(what) (got \(out.count) of \(count))", file: file, line: line) {
                try await self.next()
            }
            guard let delivery else {
                throw ConformanceFailure(message: "subscription ended early: \(what)", file: file, line: line)
            }
            out.append(delivery)
        }
        return out
    }
}

/// Polls `condition` until it holds or `limit` passes: waiting on a condition, not a fixed sleep.
public func eventually(
    _ limit: Duration, _ what: String, file: String = #fileID, line: Int = #line,
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw ConformanceFailure(message: "condition not met within \(limit): \(what)", file: file, line: line)
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
