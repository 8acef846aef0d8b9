import Foundation

/// How to consume: which group to join and how much to hold at once.
public struct SubscribeOptions: Sendable {
    /// Where a new group starts reading.
    public enum Start: String, Sendable {
        /// A new group starts with the oldest message still kept.
        case earliest
        /// A new group starts with messages published after it joined.
        case latest
    }

    /// Members of one group share the messages; each group gets all of them.
    public var group: String
    /// This member's name within the group (Redis consumer name, Kafka client id...).
    public var consumer: String
    /// Messages handed out and not yet settled, at most (AMQP prefetch, Redis COUNT...).
    public var prefetch: Int
    public var start: Start
    /// A message larger than these is dead-lettered with reason `decode` instead of read.
    public var limits: MessageLimits

    public init(
        group: String, consumer: String? = nil, prefetch: Int = 64, start: Start = .earliest, limits: MessageLimits = MessageLimits()
    ) {
        self.group = group
        self.consumer = consumer ?? SubscribeOptions.defaultConsumerName()
        self.prefetch = max(1, prefetch)
        self.start = start
        self.limits = limits
    }

    static func defaultConsumerName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
