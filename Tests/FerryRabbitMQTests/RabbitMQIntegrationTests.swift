import Ferry
import FerryConformance
import FerryRabbitMQ
import Foundation
import Testing

/// RabbitMQ-specific guarantees, against the local broker that scripts/test starts.
@Suite(.enabled(if: amqpURL != nil, "needs FERRY_AMQP_URL (scripts/test sets it)"))
struct RabbitMQIntegrationTests {
    let transport = RabbitMQTransport()

    func unique(_ label: String) -> String { "ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())" }

    func events(_ count: Int) -> [Event] {
        (0..<count).map { Event(source: "/amqp-tests", type: "test.event", extensions: ["seq": String($0)], data: Data("\($0)".utf8)) }
    }

    /// Only a stream queue keeps history: a start at a time or an offset on another queue is
    /// refused, naming the queue and the fix, instead of quietly starting elsewhere.
    @Test(arguments: [SubscribeOptions.Start.time(Date()), .offset("3")])
    func aStartInHistoryOnAQueueWithoutHistoryIsRefused(_ start: SubscribeOptions.Start) async throws {
        let name = unique("classic")
        let error = await #expect(throws: FerryError.self) {
            try await transport.subscribe(
                to: try Endpoint("\(amqpURL!)?exchange=\(name)"), options: SubscribeOptions(group: "g", start: start))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("'\(name).g' (a classic queue)") == true, "\(error?.message ?? "")")
        #expect(error?.remedy?.contains("queue-type=stream") == true)
    }

    @Test func anUnroutablePublishFails() async throws {
        let exchange = unique("nowhere")
        let publisher = try await transport.makePublisher(for: try Endpoint("\(amqpURL!)?exchange=\(exchange)&routing-key=lost"))
        let error = await #expect(throws: FerryError.self) { try await publisher.publish(events(1)[0]) }
        #expect(error?.code == .publishFailed)
        #expect(error?.message.contains("could not route") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("'\(exchange)'") == true)
        await publisher.close()
    }

    /// A consumer that says nothing on its connection for longer than two heartbeats (its
    /// handler, or a relay's sink, is slow) used to be dropped by the broker, its deliveries
    /// handed out again. The heartbeats now go on while it is busy.
    @Test func aBusyConsumerKeepsItsConnectionPastTheHeartbeatTimeout() async throws {
        let queue = unique("heartbeat")
        let subscription = try await transport.subscribe(
            to: try Endpoint("\(amqpURL!)?queue=\(queue)&heartbeat=5"), options: SubscribeOptions(group: "g", prefetch: 10))
        let publisher = try await transport.makePublisher(for: try Endpoint("\(amqpURL!)?queue=\(queue)"))
        _ = try await publisher.publish(events(3))
        await publisher.close()
        let first = try await subscription.take(1, within: .seconds(20), "the first event")[0]
        // The handler is busy: four heartbeat intervals of silence (long ones: a heartbeat late
        // by seconds while the whole suite starts must not drop the connection).
        try await Task.sleep(for: .seconds(20))
        try await first.ack()
        let rest = try await subscription.take(2, within: .seconds(20), "the other two events")
        #expect(rest.allSatisfy { $0.attempt == 1 }, "not redelivered: the connection was kept")
        for delivery in rest { try await delivery.ack() }
        await subscription.close()
        let again = try await transport.subscribe(
            to: try Endpoint("\(amqpURL!)?queue=\(queue)"), options: SubscribeOptions(group: "g"))
        await #expect(throws: (any Error).self, "every ack arrived: nothing is left") {
            _ = try await again.take(1, within: .seconds(2), "a leftover")
        }
        await again.close()
    }

    /// rabbitmq-c sends heartbeats only inside its own calls, so a publisher with nothing to
    /// send for two heartbeat intervals used to be dropped by the broker, and its next publish
    /// warned of a lost connection and reconnected. Its heartbeats now go on while it is idle.
    @Test func anIdlePublisherKeepsItsConnection() async throws {
        let lines = LoggedLines()
        let transport = RabbitMQTransport(logger: lines.logger)
        let queue = unique("idle")
        let endpoint = try Endpoint("\(amqpURL!)?queue=\(queue)&heartbeat=1")
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish(events(1))
        // Idle for several heartbeat intervals: the broker closes a silent connection after two.
        try await Task.sleep(for: .seconds(6))
        _ = try await publisher.publish(events(1))
        await publisher.close()
        #expect(lines.messages(.warning) == [], "the connection was kept: nothing to reconnect")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let got = try await subscription.take(2, within: .seconds(20), "both events")
        for delivery in got { try await delivery.ack() }
        await subscription.close()
    }

    @Test func aQueueRedeclaredWithOtherSettingsIsAClearError() async throws {
        let queue = unique("precondition")
        let classic = try await transport.subscribe(to: try Endpoint("\(amqpURL!)?queue=\(queue)"), options: SubscribeOptions(group: "g"))
        await classic.close()
        let error = await #expect(throws: FerryError.self) {
            _ = try await transport.subscribe(
                to: try Endpoint("\(amqpURL!)?queue=\(queue)&queue-type=quorum"), options: SubscribeOptions(group: "g"))
        }
        #expect(error?.message.contains("PRECONDITION_FAILED") == true, "\(error?.message ?? "")")
        #expect(error?.remedy?.contains("other settings") == true)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_AMQPS_URL"] != nil))
    func amqpsCarriesEventsOverTLS() async throws {
        let endpoint = try Endpoint(ProcessInfo.processInfo.environment["FERRY_AMQPS_URL"]! + "&queue=\(unique("tls"))")
        #expect(endpoint.scheme == "amqps")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        let publisher = try await transport.makePublisher(for: endpoint)
        let sent = events(3)
        _ = try await publisher.publish(sent)
        let got = try await subscription.take(3, within: .seconds(20), "the events sent over TLS")
        for delivery in got { try await delivery.ack() }
        #expect(Set(got.map(\.event.id)) == Set(sent.map(\.id)))
        await subscription.close()
        await publisher.close()
    }

    /// Lag of an `amqps` endpoint comes from the management API over HTTPS, verified with the
    /// endpoint's CA (it used to go over plain HTTP, with the password, whatever the scheme).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_AMQPS_URL"] != nil))
    func amqpsLagGoesOverVerifiedHTTPS() async throws {
        let secure = ProcessInfo.processInfo.environment["FERRY_AMQPS_URL"]!
        let endpoint = try Endpoint(secure + "&queue=\(unique("tls-lag"))")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        await subscription.close()
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish(events(2))
        await publisher.close()
        try await eventually(.seconds(20), "the two events counted over HTTPS") {
            try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag } == 2
        }
        let untrusted = try Endpoint(
            secure.replacingOccurrences(
                of: #"cacert=[^&]*"#, with: "cacert=/etc/ssl/certs/ca-certificates.crt", options: .regularExpression)
                + "&queue=\(unique("tls-lag"))")
        let error = await #expect(throws: FerryError.self) { _ = try await transport.lag(of: untrusted, group: "g") }
        #expect(error?.message.contains("TLS certificate of RabbitMQ's management API") == true, "\(String(describing: error))")
    }

    @Test func aMissingCACertificateIsNamed() async throws {
        let url = amqpURL!.replacingOccurrences(of: "amqp://", with: "amqps://") + "?queue=x&cacert=/nonexistent/ca.pem"
        let error = await #expect(throws: FerryError.self) {
            _ = try await transport.subscribe(to: try Endpoint(url), options: SubscribeOptions(group: "g"))
        }
        #expect(error?.message.contains("/nonexistent/ca.pem") == true, "\(error?.message ?? "")")
    }

    @Test func aWrongPasswordIsRefusedWithoutShowingIt() async throws {
        let url = amqpURL!.replacingOccurrences(of: "guest:guest@", with: "guest:wrong-secret@") + "?queue=\(unique("auth"))"
        let error = await #expect(throws: FerryError.self) {
            _ = try await transport.subscribe(to: try Endpoint(url), options: SubscribeOptions(group: "g"))
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("wrong-secret") == false)
    }
}
