import Ferry

/// What a `redis://` URL says:
/// `redis://[user:password@]host:port/stream[?db=N&maxlen=N&claim-idle=30s&dlq=stream:dlq&mkstream=false]`.
///
/// `maxlen` trims the stream approximately (`MAXLEN ~ N`) on each XADD; `claim-idle` is how long
/// an entry must sit pending with a silent consumer before another member reclaims it;
/// `mkstream=false` publishes only to a stream that exists (`NOMKSTREAM`: a reply to a
/// requester that has gone does not make its stream again).
package struct RedisEndpoint: Sendable {
    let endpoint: Endpoint
    let host: String
    let port: Int
    let user: String?
    let password: String?
    let database: Int
    let stream: String
    let deadLetterStream: String
    let maxLength: Int?
    /// Whether XADD makes the stream when it does not exist.
    let makesStream: Bool
    let claimIdleMilliseconds: Int
    let publishTimeout: Duration

    package init(_ endpoint: Endpoint) throws(FerryError) {
        if endpoint.scheme == "rediss" {
            throw FerryError(
                .unsupported,
                "endpoint '\(endpoint)': Redis over TLS (rediss://) needs hiredis 1.0 or later built with TLS; Debian 12's hiredis 0.14 has no TLS",
                remedy:
                    "reach the server through a local TLS tunnel (stunnel, or `socat TCP-LISTEN:6380,fork,bind=127.0.0.1 OPENSSL:host:6379,cafile=ca.pem`) and use redis://127.0.0.1:6380"
            )
        }
        guard endpoint.scheme == "redis", endpoint.hosts.count == 1 else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)' is not a redis:// URL with one host")
        }
        guard !endpoint.path.isEmpty else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)' names no stream", remedy: "write redis://host:port/stream")
        }
        self.endpoint = endpoint
        host = endpoint.hosts[0].name
        port = endpoint.hosts[0].port ?? 6379
        password = endpoint.password
        user = endpoint.password == nil || endpoint.user?.isEmpty != false ? nil : endpoint.user
        database = try endpoint.integer("db", default: 0, in: 0...1_000_000)!
        stream = endpoint.path
        deadLetterStream = endpoint.query["dlq"] ?? "\(endpoint.path):dlq"
        maxLength = try endpoint.integer("maxlen", in: 1...Int.max)
        makesStream = endpoint.query["mkstream"] != "false"
        claimIdleMilliseconds = try endpoint.milliseconds("claim-idle", default: 30_000)
        publishTimeout = try endpoint.publishTimeout()
    }

    /// `host:port/db`, for messages (no credentials).
    var location: String { "\(host):\(port)/\(database)" }
}
