import Ferry

/// What a `kafka://` URL says: `kafka://[user:password@]host:port[,host:port]/topic[?dlq=..&max-in-flight=..&partition=..&rdkafka.<property>=..]`.
///
/// `partition=N` publishes to that partition only (a requester's replies), not by key.
/// `rdkafka.<property>` passes any librdkafka setting through (e.g. `rdkafka.linger.ms=20`); a
/// user and password select SASL/PLAIN.
package struct KafkaEndpoint: Sendable {
    let endpoint: Endpoint
    let brokers: String
    let topic: String
    let deadLetterTopic: String
    /// The partition a publisher writes to; nil: by key.
    let partition: Int32?
    /// librdkafka settings from the URL (credentials and pass-through properties).
    let settings: [String: String]
    /// `settings` and the producer's own: `message.timeout.ms` from `publish-timeout`.
    var producerSettings: [String: String] {
        settings.merging(["message.timeout.ms": String(publishTimeout.microseconds / 1000)]) { mine, _ in mine }
    }
    let publishTimeout: Duration

    package init(_ endpoint: Endpoint) throws(FerryError) {
        guard endpoint.scheme == "kafka" else {
            throw FerryError(.invalidEndpoint, "endpoint '\(endpoint)' is not a kafka:// URL")
        }
        let topic = endpoint.path
        guard !topic.isEmpty, !topic.contains("/"),
            topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw FerryError(
                .invalidEndpoint, "endpoint '\(endpoint)' names no valid Kafka topic ('\(topic)')",
                remedy: "write kafka://host:port/topic; topic names use letters, digits, '.', '_' and '-'")
        }
        self.endpoint = endpoint
        self.topic = topic
        brokers = endpoint.hosts.map { "\($0.name):\($0.port ?? 9092)" }.joined(separator: ",")
        deadLetterTopic = endpoint.query["dlq"] ?? "\(topic).dlq"
        partition = try endpoint.integer("partition", in: 0...100_000).map(Int32.init)
        var settings: [String: String] = [:]
        for (key, value) in endpoint.query where key.hasPrefix("rdkafka.") {
            settings[String(key.dropFirst("rdkafka.".count))] = value
        }
        if let inFlight = try endpoint.integer("max-in-flight", in: 1...10_000_000) {
            settings["queue.buffering.max.messages"] = String(inFlight)
        }
        publishTimeout = try endpoint.publishTimeout()
        if let user = endpoint.user {
            settings["security.protocol"] = settings["security.protocol"] ?? "sasl_plaintext"
            settings["sasl.mechanisms"] = settings["sasl.mechanisms"] ?? "PLAIN"
            settings["sasl.username"] = user
            settings["sasl.password"] = endpoint.password ?? ""
        }
        self.settings = settings
    }

    /// Each group retries through its own topic, so one group's retries never reach another.
    func retryTopic(group: String) -> String {
        "\(topic).retry.\(group.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }.map(String.init).joined())"
    }
}
