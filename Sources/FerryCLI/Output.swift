import Foundation

/// Writes whole lines straight to standard output or error, unbuffered, so a reader
/// (a pipe, a test) sees each line as soon as it is written.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(("ferry: " + text + "\n").utf8))
    }
}
