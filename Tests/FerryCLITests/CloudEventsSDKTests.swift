import Ferry
import FerryConformance
import FerryKafka
import FerryRabbitMQ
import Foundation
import Testing

/// Ferry and the official CloudEvents Python SDK (cloudevents 2.x, `Tests/peers/cloudevents_peer.py`)
/// on Kafka and RabbitMQ, both ways, binary and structured: ids, a subject, an extension,
/// non-JSON data and the partition key survive.
@Suite(.enabled(if: brokerURLs.count == 3 && sdkPython != nil, "needs the local brokers and the SDK (scripts/brokers installs it)"))
struct CloudEventsSDKTests {
    let env = ProcessInfo.processInfo.environment

    /// Runs the peer; its standard output, one line per event.
    func peer(_ arguments: [String]) async throws -> [String] {
        let run = try await FerryProcess.run(["Tests/peers/cloudevents_peer.py"] + arguments, program: sdkPython!, timeout: 90)
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        return run.stdout.split(separator: "\n").map(String.init)
    }

    func destination(_ broker: String) -> (endpoint: Endpoint, transport: any Transport, peer: [String]) {
        let name = "ferry-sdk-\(UUID().uuidString.prefix(8).lowercased())"
        if broker == "kafka" {
            let endpoint = try! Endpoint("\(env["FERRY_KAFKA_URL"]!)/\(name)")
            return (endpoint, KafkaTransport(), ["kafka", "127.0.0.1:\(env["FERRY_KAFKA_PORT"] ?? "9092")", name])
        }
        let endpoint = try! Endpoint("\(env["FERRY_AMQP_URL"]!)?queue=\(name)")
        return (endpoint, RabbitMQTransport(), ["rabbitmq", "127.0.0.1", env["FERRY_AMQP_PORT"] ?? "5672", name])
    }

    @Test(arguments: ["kafka", "rabbitmq"])
    func eventsTheSDKWritesReachFerryWhole(_ broker: String) async throws {
        let (endpoint, transport, peer) = destination(broker)
        try await transport.provision(endpoint, partitions: 1)
        let subscription = try await transport.subscribe(
            to: endpoint, options: SubscribeOptions(group: "sdk-\(UUID().uuidString.prefix(8))"))
        let binary = try await self.peer(["send"] + peer + ["binary", "3"])
        let structured = try await self.peer(["send"] + peer + ["structured", "3"])
        let got = try await subscription.take(6, within: .seconds(60), "the SDK's events")
        #expect(got.map(\.event.id) == binary + structured)
        #expect(got.map(\.mode) == Array(repeating: .binary, count: 3) + Array(repeating: .structured, count: 3))
        for (index, delivery) in got.enumerated() {
            let event = delivery.event
            #expect(event.subject == "subject-\(index % 3)")
            #expect(event.extensions["tenant"] == "acme")
            #expect(event.partitionkey == "key-\(index % 3)")
            #expect(event.datacontenttype == "application/octet-stream")
            #expect(event.data == Data([0, 1, 2, 255, UInt8(index % 3)]))
            try await delivery.ack()
        }
        await subscription.close()
        await transport.shutdown()
    }

    @Test(arguments: ["kafka", "rabbitmq"])
    func eventsFerryWritesParseWithTheSDK(_ broker: String) async throws {
        let (endpoint, transport, peer) = destination(broker)
        try await transport.provision(endpoint, partitions: 1)
        let events = (0..<2).map { index in
            Event(
                source: "/ferry", type: "com.example.ferry", datacontenttype: "application/octet-stream", subject: "subject-\(index)",
                partitionkey: "key-\(index)", extensions: ["tenant": "acme"], data: Data([9, 8, 255, UInt8(index)]))
        }
        for (event, mode) in zip(events, ["binary", "structured"]) {
            let publisher = try await transport.makePublisher(for: endpoint.with(query: ["mode": mode]))
            _ = try await publisher.publish(event)
            await publisher.close()
        }
        let parsed = try await self.peer(["receive"] + peer + ["2"]).map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(parsed.count == 2)
        for (event, seen) in zip(events, parsed) {
            #expect(seen["id"] as? String == event.id)
            #expect(seen["type"] as? String == "com.example.ferry")
            #expect(seen["subject"] as? String == event.subject)
            #expect(seen["tenant"] as? String == "acme")
            #expect(seen["partitionkey"] as? String == event.partitionkey)
            #expect(seen["datacontenttype"] as? String == "application/octet-stream")
            #expect((seen["data"] as? String).flatMap { Data(base64Encoded: $0) } == event.data)
            if broker == "kafka" { #expect(seen["key"] as? String == event.partitionkey, "the partition key is the record key") }
        }
        await transport.shutdown()
    }
}

/// The Python with the CloudEvents SDK, when scripts/brokers has installed it.
let sdkPython: String? = {
    let path = (ProcessInfo.processInfo.environment["FERRY_TOOLS"] ?? ".tools") + "/venv/bin/python"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()
