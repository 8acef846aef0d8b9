import Foundation

/// How to consume: which group to join and how much to hold at once.
public struct SubscribeOptions: Sendable {
    /// Where a new group starts reading. A group that exists goes on from where it is; on a
    /// RabbitMQ stream queue, which keeps no position for a group, each subscription starts here.
    /// A time or an offset needs a backend that keeps history (Kafka, Redis, memory, a RabbitMQ
    /// stream queue); elsewhere subscribing fails with code `unsupported`.
    public enum Start: Sendable, Hashable, CustomStringConvertible {
        /// A new group starts with the oldest message still kept.
        case earliest
        /// A new group starts with messages published after it joined.
        case latest
        /// A new group starts with the first message the broker took at or after this time
        /// (Kafka record timestamps, Redis entry ids, a RabbitMQ stream's chunk times).
        case time(Date)
        /// A new group starts at this offset, written as `Position.offset` shows it: a Kafka
        /// offset (in every partition), a Redis entry id, a RabbitMQ stream offset.
        case offset(String)

        public var description: String {
            switch self {
            case .earliest: "the earliest message"
            case .latest: "the latest message"
            case .time(let time): "time \(RFC3339.format(micros: Event.micros(of: time)))"
            case .offset(let offset): "offset '\(offset)'"
            }
        }

        /// The error for a backend that keeps no history to start from.
        package func refused(by what: String, remedy: String? = nil) -> FerryError {
            FerryError(.unsupported, "\(what) cannot start a group at \(self): it keeps no history to start from", remedy: remedy)
        }
    }

    /// Members of one group share the messages; each group gets all of them.
    public var group: String
    /// This member's name within the group (Redis consumer name, Kafka client id...).
    public var consumer: String
    /// Messages handed out and not yet settled, at most (AMQP prefetch, Redis COUNT...).
    public var prefetch: Int
    /// Messages the client library may fetch ahead of those handed out, per partition; nil
    /// keeps its default. Only Kafka's reads further ahead than `prefetch` (librdkafka keeps up
    /// to 100,000 per partition: most of a busy consumer's memory); elsewhere it changes
    /// nothing. Smaller bounds memory, and slows a consumer that reads faster than it refills.
    public var readAhead: Int?
    public var start: Start
    /// A message larger than these is dead-lettered with reason `decode` instead of read.
    public var limits: MessageLimits

    public init(
        group: String, consumer: String? = nil, prefetch: Int = 64, readAhead: Int? = nil, start: Start = .earliest,
        limits: MessageLimits = MessageLimits()
    ) {
        self.group = group
        self.consumer = consumer ?? SubscribeOptions.defaultConsumerName()
        self.prefetch = max(1, prefetch)
        self.readAhead = readAhead.map { max(1, $0) }
        self.start = start
        self.limits = limits
    }

    static func defaultConsumerName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
