import Foundation

/// Certificates made for a test with the machine's `openssl`, and a TLS server that presents
/// them (`openssl s_server`): how the TLS verification of each client is tested without
/// touching the local brokers' own certificates.
public struct TestCertificates: Sendable {
    public let directory: String

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A new CA, and a server certificate it signed for `name` (subject and DNS name).
    public func make(_ label: String, name: String) throws -> (ca: String, cert: String, key: String) {
        let base = "\(directory)/\(label)"
        try Self.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(label) CA", "-keyout", "\(base)-ca.key", "-out",
            "\(base)-ca.pem",
        ])
        try Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(name)", "-keyout", "\(base).key", "-out", "\(base).csr"])
        try "subjectAltName=DNS:\(name)\n".write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
        try Self.openssl([
            "x509", "-req", "-in", "\(base).csr", "-CA", "\(base)-ca.pem", "-CAkey", "\(base)-ca.key", "-CAcreateserial", "-days", "1",
            "-extfile", "\(base).ext", "-out", "\(base).pem",
        ])
        return ("\(base)-ca.pem", "\(base).pem", "\(base).key")
    }

    /// `openssl s_server` on 127.0.0.1:`port` presenting `cert`; terminate it when done.
    public static func server(port: Int, cert: String, key: String) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key, "-quiet"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        return server
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}
