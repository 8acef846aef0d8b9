import Foundation

/// The brokers scripts/brokers started, for tests that freeze or restart one. Only the pids
/// that script recorded are ever signalled.
public enum LocalBrokers {
    static var root: URL? { ProcessInfo.processInfo.environment["FERRY_ROOT"].map { URL(fileURLWithPath: $0) } }

    /// The recorded pid of `broker` (`kafka`, `redis` or `rabbitmq`).
    public static func pid(of broker: String) throws -> Int32 {
        let tools =
            ProcessInfo.processInfo.environment["FERRY_TOOLS"].map { URL(fileURLWithPath: $0) }
            ?? root?.appendingPathComponent(".tools")
        guard let file = tools?.appendingPathComponent("run/\(broker)/pid"),
            let pid = Int32((try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
        else {
            throw ConformanceFailure(
                message: "no recorded pid for \(broker); start the brokers with scripts/brokers up", file: #fileID, line: #line)
        }
        return pid
    }

    /// Stops and starts `broker` with scripts/brokers (gracefully), on a thread of its own.
    public static func restart(_ broker: String) async throws {
        guard let script = root?.appendingPathComponent("scripts/brokers").path else {
            throw ConformanceFailure(message: "FERRY_ROOT is not set; source scripts/env.sh", file: #fileID, line: #line)
        }
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: system("'\(script)' restart \(broker)")) }.start()
        }
        guard status == 0 else {
            throw ConformanceFailure(message: "scripts/brokers restart \(broker) failed (status \(status))", file: #fileID, line: #line)
        }
    }
}
