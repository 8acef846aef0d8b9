import Logging
import Synchronization

/// A log handler that keeps what is logged, so a test can count the warnings a component gave.
public final class LoggedLines: LogHandler, @unchecked Sendable {
    // @unchecked: `metadata` and `logLevel` are set once, before the logger is shared.
    private let seen = Mutex<[(Logger.Level, String)]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) { seen.withLock { $0.append((event.level, "\(event.message)")) } }

    /// A logger that writes here.
    public var logger: Logger { Logger(label: "test") { _ in self } }

    public func count(_ level: Logger.Level) -> Int { seen.withLock { $0.filter { $0.0 == level }.count } }

    /// The messages logged at `level`.
    public func messages(_ level: Logger.Level) -> [String] { seen.withLock { $0.filter { $0.0 == level }.map(\.1) } }
}
