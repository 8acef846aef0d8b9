import Foundation

/// Reads a fuzzer's bytes as the parts of a message: length-prefixed chunks, numbers and flags.
/// A read past the end gives what is left (or zeros), so every input means something.
struct FuzzInput {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func int64() -> Int64 {
        (0..<8).reduce(Int64(0)) { value, _ in value << 8 | Int64(byte()) }
    }

    /// Two bytes of length (big-endian), then that many bytes or what is left.
    mutating func chunk() -> Data {
        let length = Int(byte()) << 8 | Int(byte())
        let end = min(bytes.count, index + length)
        defer { index = end }
        return Data(bytes[min(index, end)..<end])
    }

    mutating func string() -> String { String(decoding: chunk(), as: UTF8.self) }

    mutating func rest() -> Data {
        defer { index = bytes.count }
        return Data(bytes[min(index, bytes.count)...])
    }
}

/// Writes what `FuzzInput` reads: how seed inputs are made from the test fixtures.
struct FuzzOutput {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func int64(_ value: Int64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> Int64(shift))) }
    }

    mutating func chunk(_ data: Data) {
        let count = min(data.count, 0xFFFF)
        byte(UInt8(count >> 8))
        byte(UInt8(count & 0xFF))
        bytes += data.prefix(count)
    }

    mutating func string(_ text: String) { chunk(Data(text.utf8)) }

    mutating func rest(_ data: Data) { bytes += data }
}
