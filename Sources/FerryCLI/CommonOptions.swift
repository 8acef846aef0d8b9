import ArgumentParser
import Ferry
import FerryKafka
import FerryPostgres
import FerryRabbitMQ
import FerryRedis
import FerrySQLite
import Foundation
import Logging

/// Options every subcommand takes, and the set-up they share.
struct CommonOptions: ParsableArguments {
    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(help: "Log lines as text, or as one JSON object per line (json).")
    var logFormat: LogFormat = .text

    @Option(
        help: """
            Give up on a broker that cannot be reached, or does not confirm a publish, after this many seconds \
            (the endpoint's publish-timeout, where its URL sets none).
            """)
    var connectTimeout: Double = 10

    enum LogFormat: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        guard connectTimeout > 0, connectTimeout <= 86_400 else {
            throw ValidationError("--connect-timeout must be above 0 and at most 86400 seconds, not \(connectTimeout)")
        }
    }

    /// `text` as an endpoint, `${VAR}` and `${file:/path}` replaced (so no secret need be on
    /// the command line), whose publishes give up after `--connect-timeout` unless its URL sets
    /// `publish-timeout`: a command fails within seconds, not after a service's patience.
    func endpoint(_ text: String) throws -> Endpoint {
        let endpoint = try Endpoint(
            SecretSubstitution.apply(text, forURL: true, environment: ProcessInfo.processInfo.environment))
        guard endpoint.query["publish-timeout"] == nil else { return endpoint }
        return endpoint.with(query: ["publish-timeout": "\(Int(connectTimeout * 1000))ms"])
    }

    /// Bootstraps logging once and returns the transports of every linked backend.
    func transports() -> (Transports, Logger) {
        let level = logLevel
        let format = logFormat
        LoggingSystem.bootstrap { label in
            if format == .json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ferry")
        let transports = Transports([
            MemoryTransport(logger: Logger(label: "ferry.memory")),
            KafkaTransport(logger: Logger(label: "ferry.kafka")),
            RabbitMQTransport(logger: Logger(label: "ferry.amqp")),
            RedisTransport(logger: Logger(label: "ferry.redis")),
            PostgresOutbox.transport(logger: Logger(label: "ferry.postgres")),
            SQLiteOutbox.transport(logger: Logger(label: "ferry.sqlite")),
        ])
        return (transports, logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
