import Foundation
import Prometheus

/// A very small HTTP server for scrapes: `GET /metrics` (Prometheus text) and `GET /health`
/// (JSON from `health`, status 200 when healthy, else 503). One thread accepts and answers;
/// there is nothing else to serve.
final class MetricsServer: Sendable {
    private let socket: Int32
    let port: Int

    init(
        registry: PrometheusCollectorRegistry, address: String, port: Int,
        health: @escaping @Sendable () -> (healthy: Bool, body: String)
    ) throws {
        let fd = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw ValidationErrorText("--metrics-address '\(address)' is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ValidationErrorText(
                "cannot listen on \(address):\(port) for metrics: \(String(cString: strerror(errno))); choose another --metrics-port")
        }
        // Port 0 lets the system choose a free port; the one it chose is read back.
        var chosen = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &chosen) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        self.port = Int(UInt16(bigEndian: chosen.sin_port))
        Thread { [fd] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                // A client that connects and says nothing (or stops reading) must not hold up the
                // next scrape or health check: every read and write gives up after 2 seconds.
                var limit = timeval(tv_sec: 2, tv_usec: 0)
                for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                    setsockopt(client, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
                }
                var request = [UInt8](repeating: 0, count: 2048)
                let count = read(client, &request, request.count)
                let line = String(decoding: request.prefix(max(0, count)), as: UTF8.self).split(separator: "\r\n").first ?? ""
                let (status, type, body): (String, String, [UInt8])
                if line.hasPrefix("GET /metrics") {
                    (status, type, body) = ("200 OK", "text/plain; version=0.0.4", registry.emitToBuffer())
                } else if line.hasPrefix("GET /health") {
                    let (healthy, report) = health()
                    (status, type, body) = (healthy ? "200 OK" : "503 Service Unavailable", "application/json", Array((report + "\n").utf8))
                } else {
                    (status, type, body) = ("404 Not Found", "text/plain", Array("try /metrics or /health\n".utf8))
                }
                let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                _ = Array(head.utf8).withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                _ = body.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }.start()
    }

    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }
}

/// An error whose text is the whole message (for the command line).
struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
