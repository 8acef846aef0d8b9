import Ferry
import Foundation

/// A child process started with posix_spawn, its output read on threads of its own.
/// (Foundation's Process crashed in libdispatch when several tests ran processes at once.)
final class ChildProcess: Sendable {
    let pid: pid_t
    private let stdoutText = Locked(Data())
    private let stderrText = Locked(Data())
    private let readersDone = DispatchGroup()
    private let onLine: (@Sendable (String) -> Void)?

    init(_ executable: String, _ arguments: [String], onLine: (@Sendable (String) -> Void)? = nil) throws {
        self.onLine = onLine
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        // Nothing else of this process: other tests' broker and database sockets would outlive
        // their closing in the child (they are not close-on-exec).
        _ = closeFrom(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT)
        }
        pid = child
        read(outPipe[0], into: stdoutText, lines: true)
        read(errPipe[0], into: stderrText, lines: false)
    }

    private func read(_ fd: Int32, into buffer: Locked<Data>, lines: Bool) {
        readersDone.enter()
        Thread { [readersDone, onLine] in
            var chunk = [UInt8](repeating: 0, count: 65536)
            var pending = Data()
            while true {
                let count = Foundation.read(fd, &chunk, chunk.count)
                guard count > 0 else { break }
                let data = Data(chunk[0..<count])
                buffer.withLock { $0.append(data) }
                guard lines, let onLine else { continue }
                pending.append(data)
                while let newline = pending.firstIndex(of: 10) {
                    onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending = Data(pending[(newline + 1)...])
                }
            }
            close(fd)
            readersDone.leave()
        }.start()
    }

    var stdout: String { String(decoding: stdoutText.withLock { $0 }, as: UTF8.self) }
    var stderr: String { String(decoding: stderrText.withLock { $0 }, as: UTF8.self) }

    /// Waits for the child to exit and its output to be read; returns its exit status.
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        readersDone.wait()
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// `wait()` on a thread of its own, for async callers.
    func exit() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.wait()) }.start()
        }
    }

    func kill(_ signal: Int32 = SIGKILL) {
        Foundation.kill(pid, signal)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
/// module does not export.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32
