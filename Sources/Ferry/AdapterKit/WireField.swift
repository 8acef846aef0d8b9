import Foundation

/// A header or field as it travels on a broker that carries bytes: a Kafka record header, a
/// Redis stream entry field.
package struct WireField: Sendable, Hashable {
    package var name: String
    package var value: Data

    package init(name: String, value: Data) {
        self.name = name
        self.value = value
    }

    /// `headers` as fields, in name order (so equal maps give equal bytes).
    package static func list(_ headers: [String: String]) -> [WireField] {
        headers.sorted { $0.key < $1.key }.map { WireField(name: $0.key, value: Data($0.value.utf8)) }
    }
}
