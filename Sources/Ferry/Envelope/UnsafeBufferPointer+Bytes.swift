import Foundation

extension UnsafeBufferPointer<UInt8> {
    /// Byte equality by `memcmp`: header names are compared for every header of every event,
    /// and the generic `elementsEqual` goes byte by byte.
    func sameBytes(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        count == other.count && (count == 0 || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }

    func hasBytePrefix(_ prefix: UnsafeBufferPointer<UInt8>) -> Bool {
        count >= prefix.count && UnsafeBufferPointer(rebasing: self[..<prefix.count]).sameBytes(prefix)
    }
}
