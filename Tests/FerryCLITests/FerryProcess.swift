import Foundation

/// Runs the built `ferry` executable as a separate process, the way an operator would.
enum FerryProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `ferry` sits beside the test bundle in the build products folder (or at $FERRY_BIN).
    static var executable: String { ProcessInfo.processInfo.environment["FERRY_BIN"] ?? built("ferry") }

    /// A product of this package, from the build products folder.
    static func built(_ product: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(product).path
    }

    /// Runs `ferry` (or `program`) to completion; it is killed after `timeout` seconds. The wait
    /// happens on a thread of its own: blocking the cooperative pool (two threads here) stalls
    /// every test.
    static func run(_ arguments: [String], program: String? = nil, timeout: TimeInterval = 60) async throws -> Result {
        let child = try ChildProcess(program ?? executable, arguments)
        let killer = DispatchWorkItem { child.kill() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let status = await child.exit()
        killer.cancel()
        return Result(status: status, stdout: child.stdout, stderr: child.stderr)
    }
}
