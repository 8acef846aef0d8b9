import Ferry
import FerryConformance
import Foundation

/// A `ferry` process left running (a consumer), whose output lines are collected as they come.
final class RunningFerry: Sendable {
    private let child: ChildProcess
    private let lines: Locked<[String]>

    init(_ arguments: [String]) throws {
        let lines = Locked<[String]>([])
        self.lines = lines
        child = try ChildProcess(FerryProcess.executable, arguments) { line in lines.withLock { $0.append(line) } }
    }

    var output: [String] { lines.withLock { $0 } }

    var pid: pid_t { child.pid }

    /// The resident memory of the process, in KiB (from /proc).
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(child.pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }

    /// Waits until `count` lines have been printed, polling; false after `timeout`.
    func waitForLines(_ count: Int, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while output.count < count {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// Sends `signal` and waits for the exit status.
    func stop(_ signal: Int32 = SIGTERM) async -> Int32 {
        child.kill(signal)
        return await child.exit()
    }

    var stderr: String { child.stderr }

    /// The port a relay started with `--metrics-port 0` serves metrics on, from the line it prints.
    func metricsPort() async throws -> Int {
        let printed: @Sendable () -> Int? = { [self] in
            stderr.firstMatch(of: /metrics on http:\/\/[0-9.]+:([0-9]+)\//).flatMap { Int($0.1) }
        }
        try await eventually(.seconds(30), "the relay prints its metrics port") { printed() != nil }
        return printed()!
    }

    /// SIGKILL: the process gets no chance to clean up, as in a crash.
    func kill() async {
        child.kill(SIGKILL)
        _ = await child.exit()
    }
}
