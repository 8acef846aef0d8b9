import Ferry
import Foundation

/// A Kafka record as Ferry writes and reads it, before it reaches librdkafka.
package struct KafkaRecord: Sendable, Hashable {
    package typealias Header = WireField

    package var key: Data?
    package var value: Data
    /// In order; Kafka allows a name more than once (the last one wins when read).
    package var headers: [Header]
    /// The record's timestamp in milliseconds since 1970, where the broker gave one.
    package var timestampMillis: Int64?

    package init(key: Data? = nil, value: Data, headers: [Header] = [], timestampMillis: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMillis = timestampMillis
    }
}

extension KafkaRecord {
    /// A copy with `extra` appended as headers, in name order (a retry's or dead letter's).
    func adding(_ extra: [String: String]) -> KafkaRecord {
        var copy = self
        copy.headers += WireField.list(extra)
        return copy
    }
}
