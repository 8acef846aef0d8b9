import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging
import Testing

/// `ferry request` against a Responder running here, on each real local broker: the reply is
/// printed, a failure reply and a missing responder exit 1 and say why.
/// One broker after another: nine `ferry` processes at once slowed the whole suite's start.
@Suite(.serialized, .enabled(if: !brokerURLs.isEmpty, "needs the local brokers (scripts/test starts them)"))
struct RequestCLITests {
    struct Echo: Command {
        typealias Reply = Echoed
        static let eventType = "cli.echo"
        var text: String
    }

    struct Echoed: EventPayload {
        static let eventType = "cli.echoed"
        var text: String
    }

    @Test(arguments: brokerURLs)
    func requestPrintsTheReplyOrSaysWhyThereIsNone(_ broker: String) async throws {
        let name = "ferry-cli-request-\(UUID().uuidString.prefix(8).lowercased())"
        let url =
            broker.hasPrefix("amqp") ? "\(broker)?queue=\(name)" : "\(broker)/\(name)"
        let endpoint = try Endpoint(url)
        let transports = Transports([KafkaTransport(), RabbitMQTransport(), RedisTransport()])
        defer { Task { await transports.shutdown() } }
        let transport = try transports.transport(for: endpoint)
        try await transport.provision(endpoint, partitions: 1)

        let silent = try await FerryProcess.run(
            ["request", url, "--type", Echo.eventType, "--data", #"{"text":"anyone?"}"#, "--timeout", "2"], timeout: 60)
        #expect(silent.status == 1)
        #expect(silent.stderr.contains("no reply to command cli.echo"), "\(silent.stderr)")
        #expect(!silent.stderr.contains("guest:guest"), "no password in the error: \(silent.stderr)")

        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "echo"))
        let responder = Responder<Echo>(subscription: subscription, transports: transports, logger: Logger(label: "test")) { command, _ in
            guard command.text != "refuse" else { throw CommandFailure(code: "refused", message: "not this one") }
            return Echoed(text: command.text.uppercased())
        }
        let running = Task { try await responder.run() }
        defer { running.cancel() }

        let answered = try await FerryProcess.run(
            ["request", url, "--type", Echo.eventType, "--data", #"{"text":"hello"}"#, "--timeout", "30"], timeout: 60)
        #expect(answered.status == 0, "\(answered.stderr)")
        #expect(answered.stdout.hasPrefix("reply cli.echoed id="), "\(answered.stdout)")
        #expect(answered.stdout.contains(#"{"text":"HELLO"}"#), "\(answered.stdout)")

        let refused = try await FerryProcess.run(
            ["request", url, "--type", Echo.eventType, "--data", #"{"text":"refuse"}"#, "--timeout", "30", "--json"], timeout: 60)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("command failed (refused): not this one"), "\(refused.stderr)")
    }
}
