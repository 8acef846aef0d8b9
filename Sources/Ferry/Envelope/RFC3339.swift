/// RFC 3339 timestamps at microsecond precision, without Foundation's formatters (slow, and
/// lossy at sub-millisecond precision). CloudEvents' `time` travels in this form on every broker.
package enum RFC3339 {
    /// The times it can write, years 0001 to 9999, in microseconds since 1970.
    static let representable: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// Formats microseconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDThh:mm:ss.ffffffZ`; a time
    /// outside years 0001 to 9999 is written as the nearest end of that range.
    package static func format(micros: Int64) -> String {
        let micros = min(max(micros, representable.lowerBound), representable.upperBound)
        let (seconds, micro) = floorDivision(micros, 1_000_000)
        let (days, sod) = floorDivision(seconds, 86_400)
        let (y, m, d) = civil(fromDays: days)
        // Written digit by digit into 27 bytes: this runs for every event sent.
        return String(unsafeUninitializedCapacity: 27) { out in
            var i = 0
            func put(_ value: Int64, _ width: Int) {
                var v = value
                for k in stride(from: width - 1, through: 0, by: -1) {
                    out[i + k] = UInt8(48 + v % 10)
                    v /= 10
                }
                i += width
            }
            func put(_ byte: UInt8) {
                out[i] = byte
                i += 1
            }
            put(y, 4)
            put(45)
            put(m, 2)
            put(45)
            put(d, 2)
            put(84)
            put(sod / 3600, 2)
            put(58)
            put(sod % 3600 / 60, 2)
            put(58)
            put(sod % 60, 2)
            put(46)
            put(micro, 6)
            put(90)
            return i
        }
    }

    /// Parses an RFC 3339 date-time (any fraction length, `Z` or `±hh:mm`) to microseconds;
    /// nil for anything else, and for a time outside years 0001 to 9999 UTC.
    package static func parse(_ text: some StringProtocol) -> Int64? {
        var text = String(text)
        return text.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in i..<(i + n) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int64(b[k] - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8, or other: UInt8 = 0, or third: UInt8 = 0) -> Bool {  // no array per call
            guard i < b.count, b[i] != 0, b[i] == c || b[i] == other || b[i] == third else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2),
            expect(84, or: 116, or: 32), let hour = digits(2), expect(58), let minute = digits(2), expect(58),
            let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else {
            return nil
        }
        var micro: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale: Int64 = 100_000
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                micro += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset: Int64 = 0
        if expect(90, or: 122) {
            offset = 0
        } else if i < b.count, b[i] == 43 || b[i] == 45 {
            let sign: Int64 = b[i] == 45 ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(58), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offset
        // Outside years 0001 to 9999 in UTC (an offset can move a time there) it could not be
        // written back unchanged: not a time Ferry accepts.
        let micros = seconds * 1_000_000 + micro
        return representable.contains(micros) ? micros : nil
    }

    private static func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
