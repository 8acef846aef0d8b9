/// What a backend does natively, so callers can see where brokers differ.
public struct Capabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Events with the same partition key reach a group in publish order.
    public static let orderingPerKey = Capabilities(rawValue: 1 << 0)
    /// Consumed events stay and can be read again from an earlier position.
    public static let replay = Capabilities(rawValue: 1 << 1)
    /// The broker itself holds a retried message back until its delay has passed.
    public static let nativeDelay = Capabilities(rawValue: 1 << 2)
    /// The broker itself routes rejected messages to a dead-letter destination.
    public static let nativeDeadLetter = Capabilities(rawValue: 1 << 3)

    public var description: String {
        let names: [(Capabilities, String)] = [
            (.orderingPerKey, "ordering-per-key"), (.replay, "replay"),
            (.nativeDelay, "native-delay"), (.nativeDeadLetter, "native-dead-letter"),
        ]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: ", ")
    }
}
