import CRabbitMQ
import Foundation

/// Holds copies of the strings and bytes one rabbitmq-c call points to, and frees them
/// together afterwards: `amqp_bytes_t` only borrows memory.
package final class AMQPArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { blocks.forEach { free($0) } }

    func bytes(_ data: Data) -> amqp_bytes_t {
        guard !data.isEmpty else { return amqp_empty_bytes }
        let block = malloc(data.count)!
        blocks.append(block)
        data.copyBytes(to: block.assumingMemoryBound(to: UInt8.self), count: data.count)
        return amqp_bytes_t(len: data.count, bytes: block)
    }

    func bytes(_ text: String) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else { return amqp_empty_bytes }
            let block = malloc(utf8.count)!
            blocks.append(block)
            block.copyMemory(from: base, byteCount: utf8.count)
            return amqp_bytes_t(len: utf8.count, bytes: block)
        }
    }

    /// A headers or arguments table of string and integer values.
    func table(_ entries: [(String, AMQPArena.Value)]) -> amqp_table_t {
        guard !entries.isEmpty else { return amqp_empty_table }
        let block = malloc(MemoryLayout<amqp_table_entry_t>.stride * entries.count)!
        blocks.append(block)
        let table = block.bindMemory(to: amqp_table_entry_t.self, capacity: entries.count)
        for (index, (key, value)) in entries.enumerated() {
            var field = amqp_field_value_t()
            switch value {
            case .string(let text):
                field.kind = UInt8(ascii: "S")
                field.value.bytes = bytes(text)
            case .long(let number):
                field.kind = UInt8(ascii: "l")
                field.value.i64 = number
            case .timestamp(let seconds):
                field.kind = UInt8(ascii: "T")
                field.value.u64 = seconds
            }
            table[index] = amqp_table_entry_t(key: bytes(key), value: field)
        }
        return amqp_table_t(num_entries: Int32(entries.count), entries: table)
    }

    enum Value {
        case string(String)
        case long(Int64)
        /// Seconds since 1970.
        case timestamp(UInt64)
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let pointer = bytes.bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }

    /// A table key: an attribute header's name is the binding's own string, made once.
    static func name(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let pointer = bytes.bytes else { return "" }
        return AMQPWireFormat.binding.headerName(
            utf8: UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: bytes.len))
    }

    static func data(_ bytes: amqp_bytes_t) -> Data {
        guard bytes.len > 0, let pointer = bytes.bytes else { return Data() }
        return Data(bytes: pointer, count: bytes.len)
    }

    /// A received headers table as strings, and how deep tables and arrays nest inside it.
    /// Nested values (x-death...) are described; past `describedLevels` they are cut short,
    /// so a hostile table costs no deep recursion here.
    package static func strings(_ table: amqp_table_t) -> (headers: [String: String], nesting: Int) {
        var nesting = 0
        return (strings(table, level: 0, nesting: &nesting), nesting)
    }

    static let describedLevels = 32

    private static func strings(_ table: amqp_table_t, level: Int, nesting: inout Int) -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(Int(max(0, table.num_entries)))  // entries rabbitmq-c has already decoded
        for index in 0..<Int(max(0, table.num_entries)) {
            let entry = table.entries[index]
            out[name(entry.key)] = describe(entry.value, level: level, nesting: &nesting)
        }
        return out
    }

    private static func describe(_ field: amqp_field_value_t, level: Int, nesting: inout Int) -> String {
        let kind = Character(Unicode.Scalar(field.kind))
        if kind == "F" || kind == "A" {
            nesting = max(nesting, level + 1)
            guard level < describedLevels else { return "..." }
        }
        switch kind {
        case "S", "x": return string(field.value.bytes)
        case "t": return field.value.boolean != 0 ? "true" : "false"
        case "b": return String(field.value.i8)
        case "B": return String(field.value.u8)
        case "s": return String(field.value.i16)
        case "u": return String(field.value.u16)
        case "I": return String(field.value.i32)
        case "i": return String(field.value.u32)
        case "l": return String(field.value.i64)
        case "L", "T": return String(field.value.u64)
        case "f": return String(field.value.f32)
        case "d": return String(field.value.f64)
        case "F":
            let members = strings(field.value.table, level: level + 1, nesting: &nesting)
            return "{" + members.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
        case "A":
            let array = field.value.array
            let items = (0..<Int(max(0, array.num_entries))).map { describe(array.entries[$0], level: level + 1, nesting: &nesting) }
            return "[" + items.joined(separator: ",") + "]"
        default: return ""
        }
    }
}
