import COpenSSL
import Ferry
import Foundation

/// One HTTP/1.0 GET to RabbitMQ's management API, over TLS for `amqps` endpoints, with the
/// endpoint's CA and host name verified as for AMQP itself. (Foundation's URLSession on Linux
/// cannot be given a CA per request.) Blocking, bounded in time and size: run it on an
/// executor.
struct ManagementHTTP {
    var host: String
    var port: Int
    /// TLS with this CA file (the system's when nil), verifying the peer unless `verify` is off.
    var tls: (caFile: String?, verify: Bool)?
    var timeout: Duration = .seconds(10)
    /// A reply larger than this is refused: the body is someone else's bytes.
    static let maxReply = 16 << 20

    func get(_ path: String, authorization: String) throws(FerryError) -> (status: Int, body: Data) {
        let socket = try connect()
        defer { close(socket) }
        let request = "GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nAuthorization: \(authorization)\r\nAccept: application/json\r\n\r\n"
        let reply: [UInt8]
        if let tls {
            reply = try exchangeOverTLS(socket, Array(request.utf8), tls)
        } else {
            guard request.utf8.withContiguousStorageIfAvailable({ send(socket, $0.baseAddress, $0.count, 0) }) == request.utf8.count else {
                throw failure("could not send the request")
            }
            reply = try receiveAll { buffer, count in recv(socket, buffer, count, 0) }
        }
        return try Self.parse(reply, place: "\(host):\(port)")
    }

    /// The status and body of an HTTP/1.x reply.
    static func parse(_ reply: [UInt8], place: String) throws(FerryError) -> (status: Int, body: Data) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = reply.indices.dropLast(3).first(where: { reply[$0..<$0 + 4].elementsEqual(separator) }) else {
            throw FerryError(.connectionFailed, "RabbitMQ's management API at \(place) sent no complete HTTP reply")
        }
        let statusLine = String(decoding: reply[..<(reply[..<end].firstIndex(of: 13) ?? end)], as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw FerryError(.connectionFailed, "RabbitMQ's management API at \(place) sent no HTTP status line")
        }
        return (status, Data(reply[(end + 4)...]))
    }

    private func connect() throws(FerryError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw failure("cannot resolve the host")
        }
        defer { freeaddrinfo(found) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if fd >= 0 {
                // On Linux the send timeout also bounds connect().
                var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
                for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                    setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
                }
                if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            candidate = address.pointee.ai_next
        }
        throw failure("cannot connect: \(String(cString: strerror(errno)))")
    }

    private func exchangeOverTLS(_ socket: Int32, _ request: [UInt8], _ tls: (caFile: String?, verify: Bool)) throws(FerryError) -> [UInt8]
    {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw failure("cannot set up TLS") }
        defer { SSL_CTX_free(context) }
        if tls.verify {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            let loaded = tls.caFile.map { SSL_CTX_load_verify_locations(context, $0, nil) } ?? SSL_CTX_set_default_verify_paths(context)
            guard loaded == 1 else { throw failure("cannot load the CA certificate '\(tls.caFile ?? "(system)")'") }
        }
        guard let ssl = SSL_new(context) else { throw failure("cannot set up TLS") }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, socket)
        _ = ferry_ssl_set_sni(ssl, host)
        if tls.verify {
            let isAddress = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
            if isAddress {
                _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
            } else {
                _ = SSL_set1_host(ssl, host)
            }
        }
        guard SSL_connect(ssl) == 1 else {
            let verdict = SSL_get_verify_result(ssl)
            let reason =
                verdict != X509_V_OK
                ? String(cString: X509_verify_cert_error_string(verdict)) : "the TLS handshake failed"
            throw FerryError(
                .connectionFailed, "the TLS certificate of RabbitMQ's management API at \(host):\(port) was refused: \(reason)",
                remedy: "give the CA that signed the broker's certificate in cacert=, and a host name the certificate names")
        }
        defer { SSL_shutdown(ssl) }
        guard request.withUnsafeBytes({ SSL_write(ssl, $0.baseAddress, Int32($0.count)) }) == request.count else {
            throw failure("could not send the request over TLS")
        }
        return try receiveAll { buffer, count in Int(SSL_read(ssl, buffer, Int32(count))) }
    }

    /// Reads until the server closes, at most `maxReply` bytes.
    private func receiveAll(_ read: (UnsafeMutableRawPointer, Int) -> Int) throws(FerryError) -> [UInt8] {
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read($0.baseAddress!, $0.count) }
            if count <= 0 { return reply }
            reply += chunk[..<count]
            guard reply.count <= Self.maxReply else { throw failure("the reply is larger than \(Self.maxReply) bytes") }
        }
    }

    private func failure(_ what: String) -> FerryError {
        FerryError(
            .connectionFailed, "RabbitMQ's management API at \(host):\(port): \(what)",
            remedy: "enable the rabbitmq_management plugin, or set management-port in the endpoint URL", isRetriable: true)
    }
}
