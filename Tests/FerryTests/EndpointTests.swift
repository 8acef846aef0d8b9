import Ferry
import Testing

@Suite struct EndpointTests {
    @Test func parsesEveryPart() throws {
        let endpoint = try Endpoint("amqp://app:s%40cret@rabbit.local:5672/%2F?exchange=orders&routing-key=placed&queue=billing")
        #expect(endpoint.scheme == "amqp")
        #expect(endpoint.user == "app")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.hosts == [Endpoint.Host(name: "rabbit.local", port: 5672)])
        #expect(endpoint.path == "/")
        #expect(endpoint.query == ["exchange": "orders", "routing-key": "placed", "queue": "billing"])
    }

    @Test func severalHostsAndIPv6() throws {
        let kafka = try Endpoint("kafka://a:9092,b:9093/orders")
        #expect(kafka.hosts.map(\.name) == ["a", "b"])
        #expect(kafka.hosts.map(\.port) == [9092, 9093])
        #expect(kafka.path == "orders")
        let v6 = try Endpoint("redis://[::1]:6379/stream")
        #expect(v6.hosts == [Endpoint.Host(name: "::1", port: 6379)])
        #expect(v6.description == "redis://[::1]:6379/stream")
    }

    @Test func neverPrintsThePassword() throws {
        let endpoint = try Endpoint("redis://user:hunter2@127.0.0.1:6379/orders?db=2")
        #expect(endpoint.description == "redis://user:***@127.0.0.1:6379/orders?db=2")
        #expect(!"\(endpoint)".contains("hunter2"))
        let error = #expect(throws: FerryError.self) { try Endpoint("redis://user:hunter2@127.0.0.1:notaport/orders") }
        #expect(error?.code == .invalidEndpoint)
        #expect(error?.message.contains("hunter2") == false)
        #expect(error?.message.contains("port 'notaport'") == true)
    }

    /// librdkafka's settings pass through the query, its secrets with them.
    @Test func neverPrintsSecretQueryValues() throws {
        let url = "kafka://127.0.0.1:9092/orders?rdkafka.sasl.password=hunter2&rdkafka.ssl.key.password=swordfish&rdkafka.linger.ms=5"
        let endpoint = try Endpoint(url)
        #expect(!endpoint.description.contains("hunter2") && !endpoint.description.contains("swordfish"), "\(endpoint)")
        #expect(endpoint.description.contains("rdkafka.linger.ms=5"), "other settings stay readable")
        #expect(endpoint.query["rdkafka.sasl.password"] == "hunter2", "kept for connecting")
        let redacted = Endpoint.redacted(url.replacingOccurrences(of: ":9092", with: ":notaport"))
        #expect(!redacted.contains("hunter2") && !redacted.contains("swordfish"), "\(redacted)")
        #expect(Endpoint.redacted("amqp://u:pw@h:bad/%2F?token=t&queue=q") == "amqp://u:***@h:bad/%2F?token=***&queue=q")
        #expect(Endpoint.redacted("redis://h/s") == "redis://h/s")
    }

    @Test(arguments: ["orders", "kafka://", "kafka:///orders", "kafka://host:0/x", "kafka://host:99999/x", "memory://x?bad=%zz"])
    func rejectsMalformed(_ text: String) {
        let error = #expect(throws: FerryError.self) { try Endpoint(text) }
        #expect(error?.code == .invalidEndpoint)
        #expect(error?.remedy != nil)
    }

    @Test func queryValuesAreChecked() throws {
        let endpoint = try Endpoint("memory://orders?partitions=x&delay=2s&idle=250ms")
        #expect(throws: FerryError.self) { try endpoint.integer("partitions") }
        #expect(try endpoint.milliseconds("delay", default: 0) == 2000)
        #expect(try endpoint.milliseconds("idle", default: 0) == 250)
        #expect(try endpoint.milliseconds("absent", default: 7) == 7)
    }

    /// Numbers that overflow once scaled used to trap the process.
    @Test(arguments: ["9223372036854775807s", "9223372036854775s", "366000000000ms", "-1s"])
    func aDurationBeyondAYearIsAnError(_ text: String) throws {
        let endpoint = try Endpoint("redis://h/s?claim-idle=\(text)")
        let error = #expect(throws: FerryError.self) { try endpoint.milliseconds("claim-idle", default: 0) }
        #expect(error?.message.contains("claim-idle") == true)
    }

    @Test func unknownSchemeNamesTheKnownOnes() throws {
        let transports = Transports([MemoryTransport()])
        let error = #expect(throws: FerryError.self) { try transports.transport(for: try Endpoint("nats://host/x")) }
        #expect(error?.code == .unsupportedScheme)
        #expect(error?.remedy?.contains("memory://") == true)
    }
}
