import Foundation

/// Where the local brokers listen (scripts/env.sh exports the ports) and the URL of a topic,
/// queue or stream on each.
struct BrokerURLs: Sendable {
    let host = "127.0.0.1"
    let kafkaPort: Int
    let amqpPort: Int
    let redisPort: Int

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        kafkaPort = environment["FERRY_KAFKA_PORT"].flatMap(Int.init) ?? 9092
        amqpPort = environment["FERRY_AMQP_PORT"].flatMap(Int.init) ?? 5672
        redisPort = environment["FERRY_REDIS_PORT"].flatMap(Int.init) ?? 6379
    }

    var kafkaBrokers: String { "\(host):\(kafkaPort)" }
    func kafka(_ topic: String) -> String { "kafka://\(kafkaBrokers)/\(topic)" }
    func amqp(queue: String) -> String { "amqp://guest:guest@\(host):\(amqpPort)/%2F?queue=\(queue)" }
    func redis(_ stream: String) -> String { "redis://\(host):\(redisPort)/\(stream)" }
    /// The peers' URLs: the broker without a destination.
    var peerAMQP: String { "amqp://guest:guest@\(host):\(amqpPort)/%2F" }
    var peerRedis: String { "redis://\(host):\(redisPort)/0" }

    func rabbitMQ(confirms: Bool) throws -> RawRabbitMQ {
        try RawRabbitMQ(host: host, port: amqpPort, user: "guest", password: "guest", confirms: confirms)
    }
}
