import CHiredis
import Foundation

/// hiredis used directly, in the smallest loops that do the benchmark's work, the way Ferry's
/// adapter talks to Redis: pipelined XADDs, XREADGROUP COUNT = prefetch, XACK of what was read.
final class RawRedis: @unchecked Sendable {
    // @unchecked: one connection, used by one thread at a time (a BlockingExecutor).
    private let context: UnsafeMutablePointer<redisContext>

    init(host: String, port: Int) throws {
        guard let context = redisConnect(host, Int32(port)), context.pointee.err == 0 else {
            throw BenchmarkFailure("raw Redis: cannot reach \(host):\(port)")
        }
        self.context = context
    }

    deinit { redisFree(context) }

    /// Sends every command, then reads every reply (one round trip); throws on an error reply.
    /// The caller frees the replies.
    @discardableResult
    func pipeline(_ commands: [[Data]]) throws -> [UnsafeMutablePointer<redisReply>] {
        for command in commands {
            var pointers = command.map { data -> UnsafePointer<CChar>? in
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, data.count))
                data.withUnsafeBytes { if let base = $0.baseAddress { memcpy(buffer, base, data.count) } }
                return UnsafePointer(buffer)
            }
            defer { pointers.forEach { UnsafeMutablePointer(mutating: $0)?.deallocate() } }
            let lengths = command.map(\.count)
            _ = pointers.withUnsafeMutableBufferPointer { argv in
                redisAppendCommandArgv(context, Int32(command.count), argv.baseAddress, lengths)
            }
        }
        return try commands.map { _ in
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw BenchmarkFailure("raw Redis: lost the connection") }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            if reply.pointee.type == REDIS_REPLY_ERROR {
                let text = String(cString: reply.pointee.str)
                freeReplyObject(raw)
                throw BenchmarkFailure("raw Redis: \(text)")
            }
            return reply
        }
    }

    func command(_ arguments: [String]) throws -> Int {
        let reply = try pipeline([arguments.map { Data($0.utf8) }])[0]
        defer { freeReplyObject(reply) }
        return Int(reply.pointee.integer)
    }

    func length(of stream: String) throws -> Int { try command(["XLEN", stream]) }

    /// Deletes what a benchmark created, so runs do not pile up in the local broker.
    func delete(_ keys: [String]) throws {
        if !keys.isEmpty { _ = try command(["DEL"] + keys) }
    }

    /// XADDs `workload.events` copies of `fields` (as Ferry writes an event).
    func publish(stream: String, _ fields: [(Data, Data)], _ workload: Workload) throws -> Double {
        try workload.publishRate { count in try add(stream: stream, Array(repeating: fields, count: count)) }
    }

    func latency(stream: String, _ fields: [(Data, Data)], _ workload: Workload) throws -> [Double] {
        try workload.latencies { try add(stream: stream, [fields]) }
    }

    /// XADDs one entry per field list, pipelined.
    func add(stream: String, _ entries: [[(Data, Data)]]) throws {
        let head = [Data("XADD".utf8), Data(stream.utf8), Data("*".utf8)]
        for reply in try pipeline(entries.map { fields in head + fields.flatMap { [$0.0, $0.1] } }) { freeReplyObject(reply) }
    }

    /// Reads `count` entries as a group member, COUNT = prefetch, copying each entry's fields
    /// out of the reply (what any application needs), acking each batch with one XACK; timed
    /// from the first entry.
    func consume(stream: String, group: String, count: Int, prefetch: Int) throws -> Double {
        _ = try? command(["XGROUP", "CREATE", stream, group, "0", "MKSTREAM"])  // BUSYGROUP: it exists
        var started: ContinuousClock.Instant?
        var seen = 0
        while seen < count {
            let ids = try read(stream: stream, group: group, count: prefetch).map(\.id)
            guard !ids.isEmpty else { continue }
            if started == nil { started = .now }
            _ = try command(["XACK", stream, group] + ids)
            seen += ids.count
        }
        return Rate.perSecond(count, ContinuousClock.now - started!)
    }

    private func read(stream: String, group: String, count: Int) throws -> [(id: String, fields: [(Data, Data)])] {
        let reply = try pipeline([
            ["XREADGROUP", "GROUP", group, "raw", "COUNT", String(count), "BLOCK", "100", "STREAMS", stream, ">"].map { Data($0.utf8) }
        ])[0]
        defer { freeReplyObject(reply) }
        guard reply.pointee.type == REDIS_REPLY_ARRAY, reply.pointee.elements > 0 else { return [] }
        let entries = reply.pointee.element[0]!.pointee.element[1]!.pointee
        func data(_ item: UnsafeMutablePointer<redisReply>) -> Data { Data(bytes: item.pointee.str, count: item.pointee.len) }
        return (0..<entries.elements).map { index in
            let entry = entries.element[index]!.pointee
            let values = entry.element[1]!.pointee
            let fields = stride(from: 0, to: values.elements - 1, by: 2).map { (data(values.element[$0]!), data(values.element[$0 + 1]!)) }
            return (String(cString: entry.element[0]!.pointee.str), fields)
        }
    }
}
