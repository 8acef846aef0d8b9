import Foundation

/// A Kafka record as Ferry writes and reads it, before it reaches librdkafka.
package struct KafkaRecord: Sendable, Hashable {
    package struct Header: Sendable, Hashable {
        package var name: String
        package var value: Data

        package init(name: String, value: Data) {
            self.name = name
            self.value = value
        }
    }

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
        copy.headers += extra.sorted { $0.key < $1.key }.map { Header(name: $0.key, value: Data($0.value.utf8)) }
        return copy
    }
}
