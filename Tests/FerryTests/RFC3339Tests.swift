import Foundation
import Testing

@testable import Ferry

@Suite struct RFC3339Tests {
    @Test func formatsAndParsesMicroseconds() {
        let micros: Int64 = 1_764_000_000_123_456
        let text = RFC3339.format(micros: micros)
        #expect(text == "2025-11-24T16:00:00.123456Z")
        #expect(RFC3339.parse(text) == micros)
    }

    @Test func roundTripsAcrossEras() {
        for micros: Int64 in [0, -1, -1_000_001, 951_782_400_000_000, 4_102_444_799_999_999, -62_135_596_800_000_000] {
            #expect(RFC3339.parse(RFC3339.format(micros: micros)) == micros, "\(micros)")
        }
    }

    @Test func readsOffsetsAndShortFractions() {
        #expect(RFC3339.parse("2025-11-24T18:00:00+02:00") == RFC3339.parse("2025-11-24T16:00:00Z"))
        #expect(RFC3339.parse("2025-11-24T16:00:00.5Z") == 1_764_000_000_500_000)
        #expect(RFC3339.parse("2025-11-24t16:00:00.123456789z") == 1_764_000_000_123_456)
    }

    /// The last two are times outside years 0001 to 9999 in UTC, which could not be written
    /// back unchanged (found by the fuzzer).
    @Test(arguments: [
        "", "yesterday", "2025-13-01T00:00:00Z", "2025-11-24T16:00:00", "2025-11-24T16:00:00Zjunk", "2025-11-24T16:00:00.Z",
        "9999-12-31T23:59:59.999999-00:10", "0001-01-01T00:00:00+00:01",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
