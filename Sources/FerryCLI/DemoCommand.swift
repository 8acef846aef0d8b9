import ArgumentParser
import Ferry
import Foundation

/// Orders flowing through the in-memory backend: typed events, a transient failure retried
/// with a delay, and a poison order dead-lettered with its reason.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Demos: an order pipeline in memory (default), and the seed for the relay demo (scripts/demo).",
        subcommands: [DemoPipeline.self, DemoSeed.self],
        defaultSubcommand: DemoPipeline.self
    )
}

struct DemoPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Run a small order pipeline on the in-memory backend and show what happened to each event.",
        discussion: "Needs no broker."
    )

    struct OrderPlaced: EventPayload {
        static let eventType = "com.example.order.placed"
        var orderID: String
        var customer: String
        var quantity: Int
    }

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let (transports, _) = common.transports()
        let endpoint = "memory://orders?partitions=2"
        let orders = [
            OrderPlaced(orderID: "o-1", customer: "ada", quantity: 2),
            OrderPlaced(orderID: "o-2", customer: "grace", quantity: 1),
            OrderPlaced(orderID: "o-3", customer: "ada", quantity: 0),  // poison: dead-lettered
            OrderPlaced(orderID: "o-4", customer: "linus", quantity: 5),  // fails once, then succeeds
            OrderPlaced(orderID: "o-5", customer: "grace", quantity: 3),
        ]
        let publisher = try await transports.publisher(endpoint)
        for order in orders {
            let receipt = try await publisher.publish(order, source: "/demo/shop", partitionkey: order.customer)
            Output.line("published \(OrderPlaced.eventType) \(order.orderID) as \(receipt.eventID.prefix(8)) at \(receipt.position)")
        }

        let subscription = try await transports.subscribe(endpoint, options: SubscribeOptions(group: "billing"))
        var settled = 0
        for try await delivery in subscription {
            let order = try delivery.decode(OrderPlaced.self)
            let what = "\(order.orderID) (attempt \(delivery.attempt), \(delivery.position))"
            if order.quantity <= 0 {
                try await delivery.deadLetter(.handler("quantity must be positive, got \(order.quantity)"))
                Output.line("dead-lettered \(what): quantity must be positive")
                settled += 1
            } else if order.orderID == "o-4" && delivery.attempt == 1 {
                try await delivery.retry(after: .milliseconds(300), reason: "payment service busy")
                Output.line("retrying \(what) in 300 ms: payment service busy")
            } else {
                try await delivery.ack()
                Output.line("billed \(what): \(order.quantity) item(s) for \(order.customer)")
                settled += 1
            }
            if settled == orders.count { break }
        }
        await subscription.close()

        let dlqURL = "memory://orders.dlq"
        let dlq = try await transports.subscribe(dlqURL, options: SubscribeOptions(group: "operators"))
        if let letter = try await dlq.next(), let record = DeadLetterRecord(headers: letter.event.headers) {
            let order = try letter.decode(OrderPlaced.self)
            Output.line(
                "dead letter in \(dlqURL): \(order.orderID) reason=\(record.reason.code) attempts=\(record.attempts) from \(record.position): \(record.reason.message)"
            )
            try await letter.ack()
        }
        await dlq.close()
        let endpointValue = try Endpoint(endpoint)
        let lag = try await transports.transport(for: endpointValue).lag(of: endpointValue, group: "billing")
        Output.line("lag of group billing: \(lag.reduce(0) { $0 + $1.lag })")
        await transports.shutdown()
    }
}
