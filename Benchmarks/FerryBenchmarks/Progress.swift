import Foundation

/// Progress lines on standard error, unbuffered, so a long run can be followed in a log file.
enum Progress {
    static func say(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
