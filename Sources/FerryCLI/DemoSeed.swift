import ArgumentParser
import Ferry
import Foundation

/// Fills a topic with generated orders for the relay demo: current (v2) orders, duplicates of
/// some (as a retrying producer makes), old v1 orders to upcast, and poison orders that break
/// the schema.
struct DemoSeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Publish generated orders (with duplicates, v1 events and poison events) for the relay demo.")

    static let type = "com.example.order.placed"

    @Argument(help: "Where to publish, e.g. kafka://127.0.0.1:9092/demo-orders.")
    var endpoint: String

    @Option(help: "How many distinct v2 orders.")
    var orders: Int = 1000

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let (transports, _) = common.transports()
        let target = try Endpoint(endpoint)
        try await transports.transport(for: target).provision(target, partitions: 3)
        let publisher = try await transports.transport(for: target).makePublisher(for: target)
        let customers = ["ada", "grace", "linus", "barbara", "ken"]
        func order(_ index: Int, version: Int, _ fields: String) -> Event {
            Event(
                source: "/demo/shop", type: Self.type, datacontenttype: "application/json", subject: "order-\(index)",
                partitionkey: customers[index % customers.count], dataversion: version, data: Data(fields.utf8))
        }
        let current = (0..<orders).map { index in
            order(
                index, version: 2,
                #"{"orderID":"o-\#(index)","customer":"\#(customers[index % 5])","quantity":\#(index % 9 + 1),"currency":"EUR","lines":[{"sku":"sku-\#(index % 17)","count":1}]}"#
            )
        }
        let duplicates = Array(current.prefix(orders / 10))
        let old = (0..<(orders / 10)).map {
            order(orders + $0, version: 1, #"{"orderID":"o-\#(orders + $0)","customer":"\#(customers[$0 % 5])","quantity":2}"#)
        }
        let poison = (0..<max(1, orders / 50)).map {
            order(2 * orders + $0, version: 2, #"{"orderID":"o-poison-\#($0)","customer":"mallory","quantity":"lots"}"#)
        }
        for batch in [current, duplicates, old, poison] { _ = try await publisher.publish(batch) }
        await publisher.close()
        await transports.shutdown()
        Output.line(
            "seeded \(target): \(current.count) orders (v2), \(duplicates.count) duplicates, \(old.count) v1 orders, \(poison.count) poison"
        )
    }
}
