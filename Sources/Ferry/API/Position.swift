/// Where a message sits in its broker: Kafka topic/partition/offset, RabbitMQ queue and
/// delivery tag (or exchange and publish sequence number), Redis stream and entry id.
public struct Position: Sendable, Hashable, CustomStringConvertible {
    /// The topic, queue, exchange or stream.
    public var destination: String
    /// The Kafka (or in-memory) partition; nil where the broker has none.
    public var partition: Int?
    /// The offset, delivery tag or entry id, as the broker writes it.
    public var offset: String

    public init(destination: String, partition: Int? = nil, offset: String) {
        self.destination = destination
        self.partition = partition
        self.offset = offset
    }

    /// `orders/2@41` with a partition, `orders@1700000000000-0` without.
    public var description: String {
        partition.map { "\(destination)/\($0)@\(offset)" } ?? "\(destination)@\(offset)"
    }

    public init?(_ text: String) {
        guard let at = text.lastIndex(of: "@") else { return nil }
        let head = text[..<at]
        offset = String(text[text.index(after: at)...])
        if let slash = head.lastIndex(of: "/"), let number = Int(head[head.index(after: slash)...]) {
            destination = String(head[..<slash])
            partition = number
        } else {
            destination = String(head)
            partition = nil
        }
    }
}
