import Foundation

/// One command's arguments packed in one buffer, as hiredis takes them (argv and lengths): a
/// pipeline of a thousand XADDs then costs one allocation per command, not one per field.
struct RedisCommand: Sendable {
    private var bytes: [UInt8] = []
    private var lengths: [Int] = []

    init(_ arguments: [String]) {
        for argument in arguments { append(argument) }
    }

    /// `head` followed by the entry's fields, names and values alternating.
    init(_ head: [String], _ entry: RedisEntry) {
        self.init(head)
        for field in entry.fields {
            append(field.name)
            append(field.value)
        }
    }

    mutating func append(_ text: String) {
        let start = bytes.count
        bytes += text.utf8
        lengths.append(bytes.count - start)
    }

    mutating func append(_ data: Data) {
        bytes += data
        lengths.append(data.count)
    }

    /// Calls `body` with argc, argv and the argument lengths, valid during the call.
    func withArgv<T>(_ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T) -> T {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            var argv = lengths.map { length -> UnsafePointer<CChar>? in
                defer { offset += length }
                return buffer.baseAddress.map { ($0 + offset).assumingMemoryBound(to: CChar.self) }
            }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { body(Int32(lengths.count), argvBuffer.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}
