import Foundation

/// The few JSON text operations Ferry does by hand: quoting, and finding where a top-level
/// member's value lies in a document, so that embedded JSON can be read back byte for byte.
enum JSONText {
    static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// True when `data` is one JSON value with no surrounding whitespace.
    static func isEmbeddable(_ data: Data) -> Bool {
        guard let first = data.first, let last = data.last, !isSpace(first), !isSpace(last) else { return false }
        return (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) != nil
    }

    /// The byte range of the value of top-level member `name` in a valid JSON object.
    static func memberValueSpan(named name: String, in document: Data) -> Range<Data.Index>? {
        let bytes = document
        var i = bytes.startIndex
        let end = bytes.endIndex
        func skipSpace() { while i < end, isSpace(bytes[i]) { i += 1 } }
        /// Skips a string starting at `i` (on its opening quote); returns its raw content range.
        func skipString() -> Range<Data.Index> {
            i += 1
            let start = i
            while i < end, bytes[i] != UInt8(ascii: "\"") {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            defer { i += 1 }
            return start..<min(i, end)
        }
        func skipValue() {
            var depth = 0
            while i < end {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    _ = skipString()
                    if depth == 0 { return }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return
                    }
                case UInt8(ascii: ","): if depth == 0 { return }
                default:
                    if depth == 0, isSpace(bytes[i]) { return }
                }
                i += 1
            }
        }
        skipSpace()
        guard i < end, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        let wanted = Data(name.utf8)
        while i < end {
            skipSpace()
            guard i < end, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let key = skipString()
            skipSpace()
            guard i < end, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            skipValue()
            if bytes[key] == wanted { return valueStart..<i }
            skipSpace()
            guard i < end, bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
