import Foundation

/// Resident memory of a process, from /proc/PID/status.
enum ProcessMemory {
    /// The current resident set (VmRSS) in MiB, or nil once the process is gone.
    static func resident(_ pid: Int32) -> Double? { field("VmRSS", pid) }
    /// The highest resident set so far (VmHWM) in MiB.
    static func peak(_ pid: Int32) -> Double? { field("VmHWM", pid) }

    private static func field(_ name: String, _ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) }
            return kilobytes.map { $0 / 1024 }
        }
        return nil
    }
}
