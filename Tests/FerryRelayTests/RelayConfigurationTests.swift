import Ferry
import FerryRelay
import Foundation
import Testing

@Suite struct RelayConfigurationTests {
    func write(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theExampleConfigurationIsValid() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/relay.example.yaml")
            .path
        let configuration = try RelayConfiguration(file: example, environment: ["AMQP_PASSWORD": "guest"])
        #expect(configuration.routes.count == 1)
        #expect(configuration.routes[0].sinks.count == 2)
        #expect(configuration.routes[0].sinks[0].password == "guest")
    }

    @Test func dedupRetentionIsSetPerRouteInDays() throws {
        let path = try write(
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    dedup-retention: 2d\n  - source: kafka://h:9092/u\n    sinks: [redis://h/s]\n"
        )
        let configuration = try RelayConfiguration(file: path, environment: [:])
        #expect(configuration.routes[0].dedupRetention == .seconds(2 * 86_400))
        #expect(configuration.routes[1].dedupRetention == .seconds(7 * 86_400), "a week unless said otherwise")
    }

    @Test func readAheadIsSetPerRoute() throws {
        let path = try write(
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    read-ahead: 500\n  - source: kafka://h:9092/u\n    sinks: [redis://h/s]\n"
        )
        let configuration = try RelayConfiguration(file: path, environment: [:])
        #expect(configuration.routes[0].readAhead == 500)
        #expect(configuration.routes[1].readAhead == RouteConfiguration.defaultReadAhead)
        let none = try write("routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    read-ahead: 0\n")
        #expect { try RelayConfiguration(file: none, environment: [:]) } throws: { "\($0)".contains("routes[0].read-ahead") }
    }

    @Test func messageLimitsAreSetPerRoute() throws {
        let path = try write(
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    limits: {max-bytes: 1024, max-headers: 10}\n"
                + "  - source: kafka://h:9092/u\n    sinks: [redis://h/s]\n")
        let configuration = try RelayConfiguration(file: path, environment: [:])
        #expect(configuration.routes[0].limits == MessageLimits(maxBytes: 1024, maxHeaders: 10))
        #expect(configuration.routes[1].limits == MessageLimits())
        let tooDeep = try write("routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    limits: {max-nesting: 40}\n")
        #expect { try RelayConfiguration(file: tooDeep, environment: [:]) } throws: {
            "\($0)".contains("routes[0].limits.max-nesting") && "\($0)".contains("1...32")
        }
    }

    /// A password may hold characters that mean something in a URL, and may come from a file.
    @Test func secretsAreEncodedIntoURLsAndReadFromFiles() throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try "from-a-file\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let path = try write(
            """
            routes:
              - source: 'amqp://u:${PW}@h:5672/%2F?queue=q'
                sinks: ['redis://:${file:\(secretFile)}@h:6379/s', '${WHOLE_URL}']
            """)
        let configuration = try RelayConfiguration(file: path, environment: ["PW": "p/w?x%y@z", "WHOLE_URL": "redis://h:6379/t"])
        #expect(configuration.routes[0].sinks[1].path == "t", "a whole URL from a variable is a URL")
        #expect(configuration.routes[0].source.password == "p/w?x%y@z")
        #expect(configuration.routes[0].sinks[0].password == "from-a-file")
        let missing = try write("routes:\n  - source: 'amqp://u:${file:/nonexistent/pw}@h/%2F'\n    sinks: [redis://h/s]\n")
        let error = #expect(throws: FerryError.self) { try RelayConfiguration(file: missing, environment: [:]) }
        #expect(error?.message.contains("/nonexistent/pw") == true)
    }

    @Test(arguments: [
        (
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    colour: red\n", "routes[0].colour: unknown key 'colour'",
            ":4:"
        ),
        ("routes:\n  - source: nope\n    sinks: [redis://h/s]\n", "routes[0].source: endpoint 'nope'", ":2:"),
        (
            "routes:\n  - source: kafka://h:9092/t\n    sinks: ['amqp://u:${NOPE}@h/%2F?queue=q']\n",
            "environment variable NOPE is not set", ":3:"
        ),
        (
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    in-flight: lots\n",
            "routes[0].in-flight: expected a whole number", ":4:"
        ),
        ("routes:\n  - source: kafka://h:9092/t\n", "a route needs 'sinks'", ":2:"),
        (
            "routes:\n  - source: kafka://h:9092/t\n    sinks: [redis://h/s]\n    retry:\n      max-delay: 9223372036854775m\n",
            "routes[0].retry.max-delay: expected a duration", ":5:"
        ),
        ("idempotency: memory://\n", "no 'routes'", ":1:"),
        ("routes:\n  - source: kafka://h:9092/t\n    ? [a, b]\n    : c\n", "a key must be a plain name", ":3:"),
        ("routes: [{source: kafka://h:9092/t, {a: b}: c}]\n", "a key must be a plain name", ":1:"),
        ("x: &k [a]\nroutes:\n  - *k : c\n", "a key must be a plain name", ":3:"),
        ("routes:\n  - source: kafka://h:9092/t\n    sinks: [[[[[[[[redis://h/s]]]]]]]]\n", "nested deeper than 8 levels", ":3:"),
    ])
    func mistakesNameTheirKeyAndLine(_ yaml: String, _ message: String, _ line: String) throws {
        let path = try write(yaml)
        let error = #expect(throws: FerryError.self) { try RelayConfiguration(file: path, environment: [:]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(path + line) == true, "\(error?.message ?? "")")
    }

    /// Found by fuzzing: Yams took up to half a minute to refuse this 2 KB file of duplicated
    /// nested keys (it sorts them for its message, exponentially in their depth).
    @Test func nestedKeysAreRefusedBeforeYAMLIsComposed() throws {
        let input = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/regressions/relay-config/slow-duplicate-keys").path
        let error = #expect(throws: FerryError.self) { try RelayConfiguration(file: input, environment: [:]) }
        #expect(error?.message.contains("slow-duplicate-keys:2: a key must be a plain name") == true, "\(error?.message ?? "")")
    }

    /// Anchors, aliases and flow mappings as values, and IPv6 hosts, are still what they were.
    @Test func aliasesAndFlowValuesStillWork() throws {
        let path = try write(
            """
            routes:
              - name: one
                source: 'kafka://[::1]:9092/t'
                sinks: &sinks ['redis://[::1]:6379/s']
                limits: &limits {max-bytes: 1024}
              - name: two
                source: kafka://h:9092/u
                sinks: *sinks
                limits: *limits
            """)
        let configuration = try RelayConfiguration(file: path, environment: [:])
        #expect(configuration.routes[1].sinks == configuration.routes[0].sinks)
        #expect(configuration.routes[1].limits.maxBytes == 1024)
        #expect(configuration.routes[0].source.hosts.first?.port == 9092)
    }

    @Test func secretsNeverAppearInErrors() throws {
        let path = try write("routes:\n  - source: kafka://h:9092/t\n    sinks: ['amqp://u:${PASSWORD}@h:notaport/%2F?queue=q']\n")
        let error = #expect(throws: FerryError.self) { try RelayConfiguration(file: path, environment: ["PASSWORD": "s3cret"]) }
        #expect(error?.message.contains("s3cret") == false, "\(error?.message ?? "")")
    }
}
