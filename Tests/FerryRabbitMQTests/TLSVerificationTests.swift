import Ferry
import Foundation
import Testing

@testable import FerryRabbitMQ

/// `amqps://` verifies the broker: a certificate from another CA, or for another host name, is
/// refused for good, with an error that says so. The TLS server is `openssl s_server` with
/// certificates made here; the handshake fails before any AMQP is spoken.
@Suite struct TLSVerificationTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-tls-\(UUID().uuidString.prefix(8))").path

    func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FerryError(.invalidConfiguration, "openssl \(arguments.joined(separator: " ")) failed")
        }
    }

    /// A CA, and a server certificate it signed for `name`.
    func certificates(_ label: String, name: String) throws -> (ca: String, cert: String, key: String) {
        let base = "\(directory)/\(label)"
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=\(label) CA", "-keyout", "\(base)-ca.key", "-out",
            "\(base)-ca.pem",
        ])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=\(name)", "-keyout", "\(base).key", "-out", "\(base).csr"])
        try "subjectAltName=DNS:\(name)\n".write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", "\(base).csr", "-CA", "\(base)-ca.pem", "-CAkey", "\(base)-ca.key", "-CAcreateserial", "-days", "1",
            "-extfile", "\(base).ext", "-out", "\(base).pem",
        ])
        return ("\(base)-ca.pem", "\(base).pem", "\(base).key")
    }

    /// Connects to an `openssl s_server` serving `cert` with `cacert` as the trusted CA; the error.
    func connect(serving cert: (cert: String, key: String), trusting cacert: String) async throws -> FerryError? {
        let port = Int.random(in: 55_000...59_999)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert.cert, "-key", cert.key, "-quiet", "-naccept", "1"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { server.terminate() }
        let endpoint = try AMQPEndpoint(try Endpoint("amqps://guest:guest@localhost:\(port)/%2F?queue=q&cacert=\(cacert)"))
        for _ in 0..<100 {  // until s_server listens
            let error = await BlockingExecutor(label: "test").run { () -> FerryError? in
                do throws(FerryError) {
                    _ = try AMQPConnection(endpoint, confirms: false)
                    return nil
                } catch {
                    return error
                }
            }
            guard let error, error.message.contains("cannot reach") else { return error }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = try certificates("server", name: "localhost")
        let other = try certificates("other", name: "localhost")
        let error = try await connect(serving: (server.cert, server.key), trusting: other.ca)
        #expect(error?.message.contains("TLS certificate of RabbitMQ at localhost") == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
        #expect(error?.remedy?.contains("cacert=") == true)
    }

    @Test func aCertificateForAnotherHostIsRefused() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = try certificates("elsewhere", name: "broker.example.com")
        let error = try await connect(serving: (server.cert, server.key), trusting: server.ca)
        #expect(error?.message.contains("TLS certificate of RabbitMQ at localhost") == true, "\(String(describing: error))")
        #expect(error?.message.contains("hostname") == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
    }

    /// The control: the right CA and name pass the TLS handshake (and then fail on AMQP, since
    /// s_server speaks none): the two tests above fail for the certificate, not for anything else.
    @Test func theRightCAAndNamePassTheHandshake() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = try certificates("right", name: "localhost")
        let error = try await connect(serving: (server.cert, server.key), trusting: server.ca)
        #expect(error != nil)
        #expect(error?.message.contains("TLS certificate") == false, "\(String(describing: error))")
    }
}
