/// A record read from a partition, with its coordinates.
struct KafkaMessage: Sendable {
    var topic: String
    var partition: Int32
    var offset: Int64
    var record: KafkaRecord
}
