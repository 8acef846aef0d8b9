#if canImport(Glibc)
    import Glibc
#endif

/// Time-ordered (version 7) UUIDs in lower case for new events: the first 48 bits are the
/// Unix time in milliseconds, the rest random. Stores that index events by id (the SQLite
/// idempotency store, a database table) then add each new key next to the last one instead
/// of all over their B-tree. Foundation's `UUID()` opens /dev/urandom for each one on Linux,
/// which cost more than the rest of publishing an event.
public enum EventID {
    private static let hex = Array("0123456789abcdef".utf8)

    public static func make() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let milliseconds = UInt64(now.tv_sec) &* 1000 &+ UInt64(now.tv_nsec / 1_000_000)
        let random = randomBits()
        let high = milliseconds << 16 | 0x7000 | random.0 & 0x0FFF  // version 7
        let low = random.1 & ~(0xC << 60) | (0x8 << 60)  // RFC 9562 variant
        return String(unsafeUninitializedCapacity: 36) { out in
            var index = 0
            for digit in 0..<32 {
                if digit == 8 || digit == 12 || digit == 16 || digit == 20 {
                    out[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = digit < 16 ? high : low
                out[index] = hex[Int(word >> (60 - 4 * UInt64(digit % 16)) & 0xF)]
                index += 1
            }
            return index
        }
    }

    /// 128 bits from the system's generator in one call (the standard library's generator
    /// makes one system call per 64 bits).
    private static func randomBits() -> (UInt64, UInt64) {
        #if canImport(Glibc)
            var bits: (UInt64, UInt64) = (0, 0)
            withUnsafeMutableBytes(of: &bits) { arc4random_buf($0.baseAddress!, $0.count) }
            return bits
        #else
            var generator = SystemRandomNumberGenerator()
            return (generator.next(), generator.next())
        #endif
    }
}
