/// One behaviour every backend must show, run against a harness.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    public let name: String
    let body: @Sendable (ConformanceHarness) async throws -> Void

    public func run(_ harness: ConformanceHarness) async throws { try await body(harness) }

    public var description: String { name }
}
