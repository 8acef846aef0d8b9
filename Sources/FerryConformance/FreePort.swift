import Foundation

/// A TCP port on loopback that nothing listens on now, for a test's own server. It is drawn from
/// below Linux's ephemeral range (32768 and up), so no outgoing connection takes it before the
/// server binds it; a port another listener holds is skipped.
public func freeLoopbackPort() -> Int {
    while true {
        if let (fd, port) = boundLoopbackSocket(port: Int.random(in: 20_000...32_000)) {
            close(fd)
            return port
        }
    }
}

/// A TCP socket bound to `port` on loopback (0: a free one the kernel picks) and the port it is
/// bound to, nil when the port is taken: a test server listens on it.
public func boundLoopbackSocket(port: Int) -> (fd: Int32, port: Int)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    if bound { return (fd, Int(UInt16(bigEndian: address.sin_port))) }
    close(fd)
    return nil
}
