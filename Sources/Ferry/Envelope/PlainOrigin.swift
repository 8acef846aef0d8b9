/// What a transport knows about a message without CloudEvents attributes, so Ferry can wrap it.
///
/// The id should be derived from the message's position (topic/partition/offset, stream entry
/// id...) so that a redelivery of the same plain message keeps the same id and is deduplicated.
public struct PlainOrigin: Sendable {
    public var id: String
    public var source: String
    public var timeMicros: Int64?
    public var partitionkey: String?

    public init(id: String, source: String, timeMicros: Int64? = nil, partitionkey: String? = nil) {
        self.id = id
        self.source = source
        self.timeMicros = timeMicros
        self.partitionkey = partitionkey
    }
}
