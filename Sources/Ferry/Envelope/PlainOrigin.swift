/// What a transport knows about a message without CloudEvents attributes, so Ferry can wrap it.
///
/// The id should be derived from the message's position (topic/partition/offset, stream entry
/// id...) so that a redelivery of the same plain message keeps the same id and is deduplicated.
package struct PlainOrigin: Sendable {
    package var id: String
    package var source: String
    package var timeMicros: Int64?
    package var partitionkey: String?

    package init(id: String, source: String, timeMicros: Int64? = nil, partitionkey: String? = nil) {
        self.id = id
        self.source = source
        self.timeMicros = timeMicros
        self.partitionkey = partitionkey
    }

    /// A broker's timestamp, `value` units of `unitMicros` microseconds since 1970, when it is a
    /// time RFC 3339 can write (years 0001 to 9999); nil otherwise. Broker timestamps are set by
    /// whoever produced the message: an absurd one must not overflow.
    package static func time(_ value: Int64, unitMicros: Int64) -> Int64? {
        let (micros, overflow) = value.multipliedReportingOverflow(by: unitMicros)
        guard !overflow, RFC3339.representable.contains(micros) else { return nil }
        return micros
    }
}
