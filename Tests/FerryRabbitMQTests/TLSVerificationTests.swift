import Ferry
import FerryConformance
import Foundation
import Testing

@testable import FerryRabbitMQ

/// `amqps://` verifies the broker: a certificate from another CA, or for another host name, is
/// refused for good, with an error that says so. The TLS server is `openssl s_server` with
/// certificates made here; the handshake fails before any AMQP is spoken.
@Suite struct TLSVerificationTests {
    let certificates: TestCertificates

    init() throws { certificates = try TestCertificates() }

    /// Connects to an `openssl s_server` serving `cert` with `cacert` as the trusted CA; the error.
    func connect(serving cert: (cert: String, key: String), trusting cacert: String) async throws -> FerryError? {
        let port = freeLoopbackPort()
        let server = try TestCertificates.server(port: port, cert: cert.cert, key: cert.key)
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
        let server = try certificates.make("server", name: "localhost")
        let other = try certificates.make("other", name: "localhost")
        let error = try await connect(serving: (server.cert, server.key), trusting: other.ca)
        #expect(error?.message.contains("TLS certificate of RabbitMQ at localhost") == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
        #expect(error?.remedy?.contains("cacert=") == true)
    }

    @Test func aCertificateForAnotherHostIsRefused() async throws {
        let server = try certificates.make("elsewhere", name: "broker.example.com")
        let error = try await connect(serving: (server.cert, server.key), trusting: server.ca)
        #expect(error?.message.contains("TLS certificate of RabbitMQ at localhost") == true, "\(String(describing: error))")
        #expect(error?.message.contains("hostname") == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
    }

    /// The control: the right CA and name pass the TLS handshake (and then fail on AMQP, since
    /// s_server speaks none): the two tests above fail for the certificate, not for anything else.
    @Test func theRightCAAndNamePassTheHandshake() async throws {
        let server = try certificates.make("right", name: "localhost")
        let error = try await connect(serving: (server.cert, server.key), trusting: server.ca)
        #expect(error != nil)
        #expect(error?.message.contains("TLS certificate") == false, "\(String(describing: error))")
    }
}
