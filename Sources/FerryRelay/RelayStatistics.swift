/// What a route has done so far (for logs, the summary, and later metrics).
public struct RelayStatistics: Sendable, Hashable {
    public var copied = 0
    public var skipped = 0
    public var duplicates = 0
    public var upcast = 0
    public var retried = 0
    public var deadLettered = 0

    public init() {}

    public var summary: String {
        "copied \(copied), duplicates skipped \(duplicates), filtered out \(skipped), upcast \(upcast), retried \(retried), dead-lettered \(deadLettered)"
    }
}
