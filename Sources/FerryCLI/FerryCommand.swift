import ArgumentParser

@main
struct FerryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Move CloudEvents between Kafka, RabbitMQ, Redis Streams and memory with one API.",
        discussion: """
            Endpoints are URLs:
              kafka://host:9092/topic
              amqp://user:password@host:5672/vhost?exchange=E&queue=Q
              redis://[user:password@]host:6379/stream?db=0
              memory://name          (inside this process only)

            Start local brokers with scripts/brokers up; `scripts/brokers env` prints their URLs.
            """,
        subcommands: [
            RelayCommand.self, PublishCommand.self, RequestCommand.self, SagaCommand.self, TailCommand.self, LagCommand.self,
            ReplayCommand.self,
            DeadLetterCommand.self,
            SchemaCommand.self,
            DemoCommand.self,
        ]
    )
}
