import Ferry
import Foundation

/// A `ferry` process left running (a consumer), whose output lines are collected as they come.
final class RunningFerry: Sendable {
    let process: Process
    private let lines = Locked<[String]>([])
    private let partial = Locked<String>("")

    init(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = FerryProcess.executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        self.process = process
        out.fileHandleForReading.readabilityHandler = { [lines, partial] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            let complete: [String] = partial.withLock { buffer in
                buffer += text
                var parts = buffer.components(separatedBy: "\n")
                buffer = parts.removeLast()
                return parts
            }
            lines.withLock { $0 += complete }
        }
        try process.run()
    }

    var output: [String] { lines.withLock { $0 } }

    /// Waits until `count` lines have been printed, polling; false after `timeout`.
    func waitForLines(_ count: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while output.count < count {
            guard ContinuousClock.now < deadline, process.isRunning else { return output.count >= count }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
