import ArgumentParser
import Ferry
import Foundation

/// A time on the command line: RFC 3339 (`2026-11-28T09:00:00Z`) or a span before now (`90s`,
/// `15m`, `2h`, `7d`).
struct PointInTime: ExpressibleByArgument {
    var micros: Int64

    init?(argument: String) {
        if let micros = RFC3339.parse(argument) {
            self.micros = micros
            return
        }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let limit: Int64 = 36_500 * 86_400  // a century, in seconds
        guard let unit = argument.last.flatMap({ units[$0] }), let count = Int64(argument.dropLast()), (0...limit).contains(count),
            count * unit <= limit
        else { return nil }
        micros = Event.micros(of: Date()) - count * unit * 1_000_000
    }

    var date: Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
}
