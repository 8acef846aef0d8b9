import Ferry
import Logging

/// The `redis://` transport over hiredis (Redis Streams and consumer groups). Each publisher
/// and each consumer owns its connections, each driven on its own executor (hiredis contexts
/// are not thread-safe).
public final class RedisTransport: Transport {
    /// `rediss` is recognised to say why it cannot work here (see `RedisEndpoint`).
    public let schemes = ["redis", "rediss"]
    private let logger: Logger
    private let admin = BlockingExecutor(label: "ferry.redis.admin")

    public init(logger: Logger = Logger(label: "ferry.redis")) {
        self.logger = logger
        logger.debug("hiredis \(HiredisRuntime.version)")
    }

    public func makePublisher(for endpoint: Endpoint) async throws -> any Publisher {
        let redis = try RedisEndpoint(endpoint)
        return try StructuredPublisher.wrapping(RedisPublisher(endpoint: redis, stream: redis.stream, logger: logger), for: endpoint)
    }

    public func subscribe(to endpoint: Endpoint, options: SubscribeOptions) async throws -> Subscription {
        let source = RedisSource(endpoint: try RedisEndpoint(endpoint), options: options, logger: logger)
        try await source.start()
        return Subscription(endpoint: endpoint, options: options, source: source, transport: self, logger: logger)
    }

    /// Streams are created on first use (XADD, or a group's MKSTREAM); nothing to do but check
    /// that the server answers.
    public func provision(_ endpoint: Endpoint, partitions: Int) async throws {
        let redis = try RedisEndpoint(endpoint)
        try await admin.run { () throws in _ = try RedisConnection(redis).command(["PING"]) }
    }

    public func deadLetterEndpoint(for endpoint: Endpoint) throws -> Endpoint {
        let redis = try RedisEndpoint(endpoint)
        return endpoint.with(path: redis.deadLetterStream, query: ["dlq": nil])
    }

    /// XINFO GROUPS: entries not yet delivered to the group (`lag`) plus delivered and not yet
    /// acknowledged (`pending`).
    public func lag(of endpoint: Endpoint, group: String) async throws -> [LagEntry] {
        let redis = try RedisEndpoint(endpoint)
        return try await admin.run { () throws in
            let reply = try RedisConnection(redis).command(["XINFO", "GROUPS", redis.stream])
            if case .error(let message) = reply {
                throw FerryError(.invalidEndpoint, "Redis at \(redis.location) has no stream '\(redis.stream)': \(message)")
            }
            for info in reply.array ?? [] {
                var fields: [String: RedisValue] = [:]
                let items = info.array ?? []
                for index in stride(from: 0, to: items.count - 1, by: 2) { fields[items[index].text ?? ""] = items[index + 1] }
                guard fields["name"]?.text == group else { continue }
                let pending = fields["pending"]?.integer ?? 0
                let undelivered = fields["lag"]?.integer ?? 0
                return [LagEntry(scope: redis.stream, lag: undelivered + pending, pending: pending)]
            }
            throw FerryError(.invalidEndpoint, "stream '\(redis.stream)' at \(redis.location) has no consumer group '\(group)'")
        }
    }

    /// A stream of its own per requester, read by a group of one, trimmed by every reply
    /// (`maxlen`: 1,000 entries, 100,000 for a durable one) and deleted when the requester
    /// closes (a durable one is kept); replies never make it again.
    public func openReplies(near endpoint: Endpoint, id: String, durable: Bool) async throws -> ReplyRoute {
        let address = ReplyAddress.make(id, durable: durable)
        let replies = try replyEndpoint(for: address, near: endpoint)
        let subscription = try await subscribe(to: replies, options: SubscribeOptions(group: "requester"))
        let redis = try RedisEndpoint(replies)
        return ReplyRoute(address: address, subscription: subscription) { [admin] in
            await subscription.close()
            guard !durable else { return }
            _ = try? await admin.run { () throws in try RedisConnection(redis).command(["DEL", address]) }
        }
    }

    /// The reply stream on the same server and database; what names the command's stream
    /// (its dead-letter stream, its trimming) is left behind.
    public func replyEndpoint(for address: String, near endpoint: Endpoint) throws -> Endpoint {
        let durable = address.hasPrefix(ReplyAddress.prefix + ReplyAddress.durable)
        return endpoint.with(
            path: address, query: ["dlq": nil, "claim-idle": nil, "maxlen": durable ? "100000" : "1000", "mkstream": "false"])
    }

    public func shutdown() async {}
}

extension RedisTransport: Browsable {
    /// XRANGE in pages; with a group, only what it has not acknowledged: entries after its
    /// last-delivered id and entries still pending (XINFO GROUPS, XPENDING). Creates nothing.
    package func browse(
        _ endpoint: Endpoint, group: String, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let redis = try RedisEndpoint(endpoint)
        let (lastDelivered, pending) = try await admin.run { () throws(FerryError) in
            try Self.progress(of: group, on: redis, RedisConnection(redis))
        }
        let pager = RedisPager(redis)
        var cursor = "-"
        while true {
            let from = cursor
            let page = try await admin.run { () throws(FerryError) in try pager.page(from: from, to: "+") }
            guard let last = page.last?.id else { return }
            cursor = "(" + last
            for entry in page {
                let id = entry.id ?? ""
                if let lastDelivered, RedisEntry.order(id) <= lastDelivered, !pending.contains(id) { continue }
                let position = Position(destination: redis.stream, offset: id)
                let envelope = RedisWireFormat.decode(entry, position: position, source: endpoint.description, limits: limits)
                guard try await body(Browsed(position: position, envelope: envelope)) else { return }
            }
        }
    }

    package func history(
        _ endpoint: Endpoint, from start: SubscribeOptions.Start, limits: MessageLimits, _ body: (Browsed) async throws -> Bool
    ) async throws {
        let redis = try RedisEndpoint(endpoint)
        guard let first = try RedisEntry.firstID(start) else { return }
        let last = try await admin.run { () throws(FerryError) in
            try RedisConnection(redis).entries(["XREVRANGE", redis.stream, "+", "-", "COUNT", "1"]).first?.id
        }
        guard let last else { return }
        let pager = RedisPager(redis)
        var cursor = "\(first.0)-\(first.1)"
        while true {
            let from = cursor
            let page = try await admin.run { () throws(FerryError) in try pager.page(from: from, to: last) }
            guard let end = page.last?.id else { return }
            cursor = "(" + end
            for entry in page {
                let position = Position(destination: redis.stream, offset: entry.id ?? "")
                let envelope = RedisWireFormat.decode(entry, position: position, source: endpoint.description, limits: limits)
                guard try await body(Browsed(position: position, envelope: envelope)) else { return }
            }
        }
    }

    /// The group's last-delivered id and its pending ids; nil when there is no such group.
    private static func progress(
        of group: String, on redis: RedisEndpoint, _ connection: RedisConnection
    ) throws(FerryError) -> (lastDelivered: (UInt64, UInt64)?, pending: Set<String>) {
        for info in try connection.command(["XINFO", "GROUPS", redis.stream]).array ?? [] {
            let items = info.array ?? []
            var fields: [String: RedisValue] = [:]
            for index in stride(from: 0, to: items.count - 1, by: 2) { fields[items[index].text ?? ""] = items[index + 1] }
            guard fields["name"]?.text == group, let last = fields["last-delivered-id"]?.text else { continue }
            let count = min(fields["pending"]?.integer ?? 0, 1_000_000)
            guard count > 0 else { return (RedisEntry.order(last), []) }
            let pending = try connection.command(["XPENDING", redis.stream, group, "-", "+", String(count)])
            return (RedisEntry.order(last), Set((pending.array ?? []).compactMap { $0.array?.first?.text }))
        }
        return (nil, [])
    }
}
