import ArgumentParser
import Ferry
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging

/// Options every subcommand takes, and the set-up they share.
struct CommonOptions: ParsableArguments {
    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(help: "Log lines as text, or as one JSON object per line (json).")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument {
        case text, json
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
        ])
        return (transports, logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
