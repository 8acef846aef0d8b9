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

    /// A field holding `text`'s UTF-8 bytes.
    package init(name: String, text: String) {
        self.init(name: name, value: Self.bytes(text))
    }

    /// The value as text (invalid UTF-8 repaired).
    package var text: String { Self.text(value) }

    /// `text`'s UTF-8 bytes. `Data(text.utf8)` takes the generic path (a dynamic cast per call):
    /// twice as slow, and this runs for every header of every event.
    package static func bytes(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { Data($0) }
    }

    /// `bytes` as text (invalid UTF-8 repaired), without the generic path of `String(decoding:)`.
    package static func text(_ bytes: Data) -> String {
        bytes.withUnsafeBytes { String(decoding: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
    }

    /// `fields` as name → text, the last of a repeated name winning (Kafka's rule), without the
    /// one named `skipped`: the field the transport reads elsewhere.
    package static func texts(_ fields: [WireField], skipping skipped: String) -> [String: String] {
        var texts: [String: String] = [:]
        for field in fields where field.name != skipped { texts[field.name] = field.text }
        return texts
    }

    /// `headers` as fields, in name order (so equal maps give equal bytes).
    package static func list(_ headers: [String: String]) -> [WireField] {
        headers.sorted { $0.key < $1.key }.map { WireField(name: $0.key, text: $0.value) }
    }
}
