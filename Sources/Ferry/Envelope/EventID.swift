/// Random (version 4) UUIDs in lower case for new events. Foundation's `UUID()` opens
/// /dev/urandom for each one on Linux, which cost more than the rest of publishing an event.
public enum EventID {
    private static let hex = Array("0123456789abcdef".utf8)

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000  // version 4
        let low = (generator.next() as UInt64) & ~(0xC << 60) | (0x8 << 60)  // RFC 4122 variant
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
}
