import CHiredis
import Ferry
import Foundation

/// One hiredis connection. hiredis contexts are not thread-safe: an instance is created, used
/// and freed on a single `BlockingExecutor`.
final class RedisConnection: BrokerConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    let endpoint: RedisEndpoint

    /// Connects, authenticates (password, or ACL user and password) and selects the database.
    init(_ endpoint: RedisEndpoint, timeout: Duration = .seconds(5)) throws(FerryError) {
        self.endpoint = endpoint
        let connected = redisConnectWithTimeout(
            endpoint.host, Int32(endpoint.port), timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0))
        guard let connected, connected.pointee.err == 0 else {
            let reason = connected.map { Self.errorText($0) } ?? "out of memory"
            if let connected { redisFree(connected) }
            throw FerryError(
                .connectionFailed, "cannot reach Redis at \(endpoint.location): \(reason)",
                remedy: "check that the server is running and the host and port are right", isRetriable: true)
        }
        context = connected
        _ = redisEnableKeepAlive(connected)
        setTimeout(.seconds(10))
        if let password = endpoint.password {
            let auth = endpoint.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            if case .error(let message) = try command(auth) {
                close()
                throw FerryError(
                    .connectionFailed,
                    "Redis at \(endpoint.location) refused the login\(endpoint.user.map { " of user '\($0)'" } ?? ""): \(message)",
                    remedy: "check the user and password in the endpoint URL")
            }
        }
        if endpoint.database != 0, case .error(let message) = try command(["SELECT", String(endpoint.database)]) {
            close()
            throw FerryError(.invalidEndpoint, "Redis at \(endpoint.location) refused database \(endpoint.database): \(message)")
        }
    }

    deinit { close() }

    var isOpen: Bool { context != nil }

    func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// The socket timeout of blocking calls (must exceed any BLOCK time sent to the server).
    func setTimeout(_ timeout: Duration) {
        guard let context else { return }
        _ = redisSetTimeout(
            context, timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000)))
    }

    func command(_ arguments: [String]) throws(FerryError) -> RedisValue {
        try pipeline([RedisCommand(arguments)])[0]
    }

    /// Sends every command, then reads every reply: one round trip for the lot.
    func pipeline(_ commands: [RedisCommand]) throws(FerryError) -> [RedisValue] {
        try pipeline(commands) { Self.value($0) }
    }

    /// The entries of an XRANGE, XCLAIM or (`readGroup`) XREADGROUP reply, read out of hiredis'
    /// reply in place: a batch becomes entries without a tree of copied values in between.
    /// A reply of another shape (an error, nil when nothing came) gives none.
    func entries(_ arguments: [String], readGroup: Bool = false) throws(FerryError) -> [RedisEntry] {
        try pipeline([RedisCommand(arguments)]) { reply in
            var entries = reply
            if readGroup {  // [[stream, entries]]
                guard let stream = Self.element(0, of: reply), let list = Self.element(1, of: stream) else { return [] }
                entries = list
            }
            return RedisEntry.list(entries)
        }[0]
    }

    /// Item `index` of an array reply, if it is one and has it.
    private static func element(_ index: Int, of reply: UnsafeMutablePointer<redisReply>) -> UnsafeMutablePointer<redisReply>? {
        let r = reply.pointee
        guard r.type == REDIS_REPLY_ARRAY, index < r.elements else { return nil }
        return r.element[index]
    }

    /// Sends every command, then reads every reply with `read` before hiredis frees it.
    private func pipeline<T>(_ commands: [RedisCommand], _ read: (UnsafeMutablePointer<redisReply>) -> T) throws(FerryError) -> [T] {
        guard let context else { throw lost("the connection is closed") }
        for command in commands {
            let status = command.withArgv { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
            guard status == REDIS_OK else { throw lost(Self.errorText(context)) }
        }
        var replies: [T] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw lost(Self.errorText(context)) }
            replies.append(read(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    private func lost(_ reason: String) -> FerryError {
        close()
        return FerryError(
            .connectionFailed, "lost the connection to Redis at \(endpoint.location): \(reason)",
            remedy: "Ferry reconnects by itself; check the server if this goes on", isRetriable: true)
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING: return .string(r.str.map { Data(bytes: $0, count: r.len) } ?? Data())
        case REDIS_REPLY_INTEGER: return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY: return .array((0..<r.elements).map { value(r.element[$0]!) })
        case REDIS_REPLY_STATUS: return .status(r.str.map { String(cString: $0) } ?? "")
        case REDIS_REPLY_ERROR: return .error(r.str.map { String(cString: $0) } ?? "")
        default: return .null
        }
    }
}
