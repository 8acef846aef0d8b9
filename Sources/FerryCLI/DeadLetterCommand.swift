import ArgumentParser

struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, inspect, replay or purge dead letters.",
        discussion: """
            The endpoint is the dead-letter destination itself, e.g. kafka://127.0.0.1:9092/orders.dlq, \
            redis://127.0.0.1:6379/orders:dlq, amqp://guest:guest@127.0.0.1:5672/%2F?queue=orders.dlq.
            """,
        subcommands: [DeadLetterList.self, DeadLetterShow.self, DeadLetterReplay.self, DeadLetterPurge.self]
    )
}
