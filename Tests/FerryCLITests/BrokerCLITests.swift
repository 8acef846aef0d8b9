import FerryConformance
import Foundation
import Testing

/// `ferry publish` and `ferry tail` against each real local broker whose adapter is done.
/// The URLs come from scripts/env.sh, which scripts/test sources.
let brokerURLs: [String] = ["FERRY_KAFKA_URL", "FERRY_AMQP_URL", "FERRY_REDIS_URL"].compactMap { ProcessInfo.processInfo.environment[$0] }

@Suite(.enabled(if: !brokerURLs.isEmpty, "needs the local brokers (scripts/test starts them)"))
struct BrokerCLITests {
    /// A fresh destination; on RabbitMQ a named queue, so events published before the first
    /// consumer arrives are kept; on Redis a short reclaim time for a dead member's entries.
    func uniqueEndpoint(_ broker: String, _ label: String) -> String {
        let name = "ferry-cli-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        if broker.hasPrefix("amqp") { return "\(broker)?exchange=\(name)&queue=\(name)" }
        if broker.hasPrefix("redis") { return "\(broker)/\(name)?claim-idle=1s" }
        return "\(broker)/\(name)"
    }

    @Test(arguments: brokerURLs)
    func publishThenTailShowsTheEvents(_ broker: String) async throws {
        let endpoint = uniqueEndpoint(broker, "roundtrip")
        let published = try await FerryProcess.run([
            "publish", endpoint, "--type", "order.placed", "--data", #"{"order":7}"#, "--count", "3", "--key", "o-7", "--json",
        ])
        #expect(published.status == 0, "\(published.stderr)")
        let receipts = try published.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String]
        }
        #expect(receipts.count == 3)

        let tailed = try await FerryProcess.run(
            ["tail", endpoint, "--group", "cli-\(UUID().uuidString.prefix(8).lowercased())", "--count", "3", "--timeout", "60", "--json"],
            timeout: 90)
        #expect(tailed.status == 0, "\(tailed.stderr)")
        let deliveries = try tailed.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let events = deliveries.compactMap { $0["event"] as? [String: Any] }
        #expect(Set(events.compactMap { $0["id"] as? String }) == Set(receipts.compactMap { $0["id"] }))
        for event in events {
            #expect(event["type"] as? String == "order.placed")
            #expect(event["partitionkey"] as? String == "o-7")
            #expect((event["data"] as? [String: Int])?["order"] == 7)
        }
        #expect(deliveries.allSatisfy { $0["mode"] as? String == "binary" && $0["attempt"] as? Int == 1 })
    }

    /// A broker that is not running (a closed port): `publish` gives up after --connect-timeout
    /// with one line that names the broker, instead of retrying for a minute and logging every
    /// reconnect.
    @Test(arguments: ["kafka://127.0.0.1:1/t", "redis://127.0.0.1:1/t", "amqp://guest:guest@127.0.0.1:1/%2F?queue=t"])
    func publishingToABrokerThatIsDownFailsAfterTheConnectTimeout(_ endpoint: String) async throws {
        let published = try await FerryProcess.run(
            ["publish", endpoint, "--type", "t", "--data", "1", "--connect-timeout", "2"], timeout: 20)
        #expect(published.status == 1, "\(published.stdout)\(published.stderr)")
        let lines = published.stderr.split(separator: "\n")
        #expect(lines.last?.hasPrefix("ferry: publish failed: ") == true, "\(published.stderr)")
        #expect(lines.last?.contains("127.0.0.1:1") == true)
        #expect(lines.count <= 3, "a failure is logged once, not per attempt: \(published.stderr)")
    }

    /// Kafka over TLS (`rdkafka.security.protocol=ssl`) verifies the broker: a certificate from
    /// another CA, or for another host, is refused and the failure names the certificate. The
    /// server is `openssl s_server` (the local Tansu 0.6 does not finish a TLS handshake with
    /// librdkafka); the right CA and name get past the handshake, so the refusals are the
    /// certificate's doing.
    @Test func kafkaOverTLSRefusesAnUntrustedOrMisnamedCertificate() async throws {
        let certificates = try TestCertificates()
        let right = try certificates.make("right", name: "localhost")
        let other = try certificates.make("other", name: "localhost")
        let misnamed = try certificates.make("misnamed", name: "broker.example.com")
        func publish(serving cert: (cert: String, key: String), trusting ca: String) async throws -> String {
            // A server that exits before it listens (its port taken meanwhile) is started again
            // on another port.
            var port = 0
            var server: Process?
            defer { server?.terminate() }
            for _ in 1...3 where server == nil {
                let candidate = freeLoopbackPort()
                let started = try TestCertificates.server(port: candidate, cert: cert.cert, key: cert.key)
                try await eventually(.seconds(20), "s_server listens or exits") { !started.isRunning || listens(candidate) }
                if listens(candidate) {
                    (port, server) = (candidate, started)
                } else {
                    started.terminate()
                }
            }
            try #require(server != nil, "openssl s_server did not listen in three tries")
            let run = try await FerryProcess.run(
                [
                    "publish", "kafka://localhost:\(port)/t?rdkafka.security.protocol=ssl&rdkafka.ssl.ca.location=\(ca)", "--type", "t",
                    "--data", "1", "--connect-timeout", "3",
                ], timeout: 30)
            #expect(run.status == 1)
            return run.stderr
        }
        let untrusted = try await publish(serving: (right.cert, right.key), trusting: other.ca)
        #expect(untrusted.contains("certificate verify failed"), "\(untrusted)")
        #expect(untrusted.contains("rdkafka.ssl.ca.location"), "the remedy names the setting: \(untrusted)")
        let wrongName = try await publish(serving: (misnamed.cert, misnamed.key), trusting: misnamed.ca)
        #expect(wrongName.contains("certificate verify failed"), "\(wrongName)")
        let trusted = try await publish(serving: (right.cert, right.key), trusting: right.ca)
        #expect(!trusted.contains("certificate verify failed"), "\(trusted)")
    }

    /// Kafka SASL/SCRAM from the URL's user and password reaches the broker's SCRAM exchange,
    /// and its refusal is reported as one, without the password. The broker is a Tansu of the
    /// test's own with `--authentication`; Tansu 0.6 keeps users in its storage, and with memory
    /// storage none can exist once authentication is on, so a successful login cannot be shown
    /// here (PLAIN it does not offer at all).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_TANSU"] != nil, "needs FERRY_TANSU"))
    func kafkaSCRAMReachesTheBrokerAndARefusalSaysSo() async throws {
        let port = freeLoopbackPort()
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FERRY_TANSU"]!)
        broker.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url", "tcp://127.0.0.1:\(port)",
            "--authentication",
        ]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        defer { broker.terminate() }
        let run = try await FerryProcess.run(
            [
                "publish", "kafka://alice:s3cret-scram-pw@127.0.0.1:\(port)/t?rdkafka.sasl.mechanisms=SCRAM-SHA-256", "--type", "t",
                "--data", "1", "--connect-timeout", "4",
            ], timeout: 30)
        #expect(run.status == 1)
        #expect(run.stderr.contains("SASL SCRAM authentication failed"), "\(run.stderr)")
        #expect(run.stderr.contains("check the user and password"), "\(run.stderr)")
        #expect(!run.stderr.contains("s3cret-scram-pw"), "the password is not shown")
    }

    /// A password need not be on the command line: `${file:/path}` and `${VAR}` in an endpoint
    /// argument are read like in the relay configuration.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_AMQP_URL"] != nil, "needs FERRY_AMQP_URL"))
    func endpointArgumentsReadSecretsFromFilesAndTheEnvironment() async throws {
        let queue = "ferry-secret-\(UUID().uuidString.prefix(8).lowercased())"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-pw-\(UUID().uuidString)").path
        try "guest\n".write(toFile: file, atomically: true, encoding: .utf8)
        let variable = "FERRY_TEST_PW_\(UUID().uuidString.prefix(8))"
        setenv(variable, "guest", 1)
        let base = "amqp://guest:%@@127.0.0.1:\(ProcessInfo.processInfo.environment["FERRY_AMQP_PORT"] ?? "5672")/%2F?queue=\(queue)"
        let published = try await FerryProcess.run([
            "publish", base.replacingOccurrences(of: "%@", with: "${file:\(file)}"), "--type", "t", "--data", "1",
        ])
        #expect(published.status == 0, "\(published.stderr)")
        let tailed = try await FerryProcess.run([
            "tail", base.replacingOccurrences(of: "%@", with: "${\(variable)}"), "--count", "1", "--timeout", "20",
        ])
        #expect(tailed.status == 0, "\(tailed.stderr)")
        let missing = try await FerryProcess.run([
            "lag", base.replacingOccurrences(of: "%@", with: "${FERRY_NOT_SET_ANYWHERE}"), "--group", "g",
        ])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("environment variable FERRY_NOT_SET_ANYWHERE is not set"), "\(missing.stderr)")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_AMQP_URL"] != nil, "needs FERRY_AMQP_URL"))
    func aWrongPasswordSaysSoAtOnce() async throws {
        let url = ProcessInfo.processInfo.environment["FERRY_AMQP_URL"]!.replacingOccurrences(of: "guest:guest@", with: "guest:wrong@")
        let published = try await FerryProcess.run(["publish", url + "?queue=ferry-wrong-pw", "--type", "t", "--data", "1"], timeout: 20)
        #expect(published.status == 1)
        #expect(published.stderr.contains("refused logging in as 'guest'"), "\(published.stderr)")
        #expect(!published.stderr.contains("within"), "it is not a timeout: \(published.stderr)")
        #expect(!published.stderr.contains("wrong"), "and the password is not shown")
    }

    @Test(arguments: brokerURLs)
    func aKilledConsumersEventsGoToTheNextMember(_ broker: String) async throws {
        let endpoint = uniqueEndpoint(broker, "killed")
        let published = try await FerryProcess.run(["publish", endpoint, "--type", "t", "--data", "1", "--count", "5", "--json"])
        #expect(published.status == 0, "\(published.stderr)")
        let group = "workers-\(UUID().uuidString.prefix(8).lowercased())"  // Kafka groups are broker-wide
        let doomed = try RunningFerry(["tail", endpoint, "--group", group, "--no-ack", "--json"])
        let gotAll = try await doomed.waitForLines(5, timeout: .seconds(60))
        await doomed.kill()
        #expect(gotAll, "the first member received \(doomed.output.count) of 5 events")

        let heir = try await FerryProcess.run(
            ["tail", endpoint, "--group", group, "--count", "5", "--timeout", "60", "--json"], timeout: 90)
        #expect(heir.status == 0, "\(heir.stderr)")
        func ids(_ lines: [String]) throws -> Set<String> {
            Set(
                try lines.map {
                    ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["event"] as! [String: Any])["id"] as! String
                })
        }
        #expect(try ids(heir.stdout.split(separator: "\n").map(String.init)) == ids(doomed.output))
    }

    /// Whether something accepts connections on 127.0.0.1:`port`.
    private func listens(_ port: Int) -> Bool {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
