/// One partition of one topic: the unit Kafka assigns to group members.
struct TopicPartition: Sendable, Hashable, CustomStringConvertible {
    var topic: String
    var partition: Int32

    var description: String { "\(topic)/\(partition)" }
}
