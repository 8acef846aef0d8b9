import Ferry
import FerryKafka
import FerryRabbitMQ
import FerryRedis
import FerrySQLite
import Foundation
import Logging

/// The order saga of the seed, across three brokers: orders arrive on Kafka; stock is reserved
/// by an inventory service on Redis, the card charged by a payment service over RabbitMQ (both
/// answer the saga's commands), the parcel sent by a shipping service on Kafka, which reports it
/// on a topic of its own that the saga awaits. A declined card undoes the reservation and the
/// order is cancelled. Run against the local brokers: `scripts/example order-saga`.
@main
enum OrderSaga {
    struct OrderPlaced: EventPayload {
        static let eventType = "shop.order.placed"
        var order: String, item: String, quantity: Int, card: String
    }

    struct ReserveStock: Command {
        typealias Reply = StockReserved
        static let eventType = "inventory.reserve"
        var order: String, item: String, quantity: Int
    }
    struct StockReserved: EventPayload { static let eventType = "inventory.reserved" }

    struct ReleaseStock: Command {
        typealias Reply = StockReleased
        static let eventType = "inventory.release"
        var order: String, item: String, quantity: Int
    }
    struct StockReleased: EventPayload { static let eventType = "inventory.released" }

    struct Charge: Command {
        typealias Reply = Charged
        static let eventType = "payment.charge"
        var order: String, card: String, cents: Int
    }
    struct Charged: EventPayload {
        static let eventType = "payment.charged"
        var receipt: String
    }

    /// Asks the shipping service, which answers with an event of its own, not a reply.
    struct Ship: EventPayload {
        static let eventType = "shipping.ship"
        var order: String, item: String, quantity: Int
    }
    struct OrderShipped: EventPayload {
        static let eventType = "shipping.order-shipped"
        var parcel: String
    }

    struct Order: Codable, Sendable {
        var placed: OrderPlaced
        var receipt: String?
        var parcel: String?
    }

    static func main() async {
        do {
            try await run()
        } catch {
            say("\(CommandLine.arguments[0].split(separator: "/").last ?? ""): \(error)")
            exit(1)
        }
    }

    /// Where everything goes, named after `tag` so that each run has destinations of its own.
    struct Places: Sendable {
        var orders, stock, releases, payments, shipping, shipments: Endpoint
        /// The saga's name: it also names the saga's reply routes on each broker, so two runs
        /// sharing the brokers must not share it (as they must not share a consumer group).
        var saga: String

        init(tag: String) throws {
            saga = "order-\(tag)"
            let env = ProcessInfo.processInfo.environment
            let kafka = env["FERRY_KAFKA_URL"] ?? "kafka://127.0.0.1:9092"
            let amqp = env["FERRY_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
            let redis = env["FERRY_REDIS_URL"] ?? "redis://127.0.0.1:6379"
            orders = try Endpoint("\(kafka)/example-orders-\(tag)")
            stock = try Endpoint("\(redis)/example-inventory-\(tag)")
            releases = try Endpoint("\(redis)/example-releases-\(tag)")
            payments = try Endpoint("\(amqp)?queue=example-payments-\(tag)")
            shipping = try Endpoint("\(kafka)/example-shipping-\(tag)")
            shipments = try Endpoint("\(kafka)/example-shipments-\(tag)")
        }

        var all: [Endpoint] { [orders, stock, releases, payments, shipping, shipments] }
    }

    static func transports(_ logger: Logger) -> Transports {
        Transports([KafkaTransport(logger: logger), RabbitMQTransport(logger: logger), RedisTransport(logger: logger)])
    }

    static var quiet: Logger {
        var logger = Logger(label: "order-saga")
        logger.logLevel = .warning
        return logger
    }

    /// The three services on their brokers; `effect` hears each thing done.
    static func serve(
        _ places: Places, _ transports: Transports, shelf: Locked<[String: Int]>, effect: @escaping @Sendable (String) -> Void
    ) async throws -> [Task<Void, any Error>] {
        var services: [Task<Void, any Error>] = []
        func serve<C: Command>(_ type: C.Type, on endpoint: Endpoint, _ handle: @escaping @Sendable (C) throws -> C.Reply) async throws {
            let subscription = try await transports.subscribe(to: endpoint, options: SubscribeOptions(group: "service-\(places.saga)"))
            let responder = Responder<C>(subscription: subscription, transports: transports, logger: quiet) { command, _ in
                try handle(command)
            }
            services.append(Task { try await responder.run() })
        }
        try await serve(ReserveStock.self, on: places.stock) { reserve in
            try shelf.withLock { shelf in
                guard shelf[reserve.item, default: 0] >= reserve.quantity else {
                    throw CommandFailure(code: "out-of-stock", message: "\(reserve.item) is out of stock")
                }
                shelf[reserve.item, default: 0] -= reserve.quantity
            }
            effect("inventory (Redis): reserved \(reserve.quantity) × \(reserve.item) for \(reserve.order)")
            return StockReserved()
        }
        try await serve(ReleaseStock.self, on: places.releases) { release in
            shelf.withLock { $0[release.item, default: 0] += release.quantity }
            effect("inventory (Redis): released \(release.quantity) × \(release.item) of \(release.order)")
            return StockReleased()
        }
        try await serve(Charge.self, on: places.payments) { charge in
            guard charge.card != declined else {
                effect("payment (RabbitMQ): card declined for \(charge.order)")
                throw CommandFailure(code: "declined", message: "the card was declined")
            }
            effect("payment (RabbitMQ): charged \(charge.cents) cents for \(charge.order)")
            return Charged(receipt: "receipt-\(charge.order)")
        }
        // Shipping reports what it did on its own topic, keyed by the order.
        let reports = try await transports.publisher(for: places.shipments)
        let shipping = Consumer(
            subscription: try await transports.subscribe(to: places.shipping, options: SubscribeOptions(group: "service-\(places.saga)")),
            logger: quiet
        ) { delivery in
            let ship = try delivery.event.decode(Ship.self)
            effect("shipping (Kafka): sent \(ship.quantity) × \(ship.item) for \(ship.order)")
            var shipped = try Event(OrderShipped(parcel: "parcel-\(ship.order)"), source: "/shipping")
            shipped.partitionkey = ship.order
            _ = try await reports.publish(shipped)
        }
        services.append(
            Task {
                defer { Task { await reports.close() } }
                try await shipping.run()
            })
        return services
    }

    static let declined = "4000-0000-0000-0002"

    /// The saga: reserve, then charge, then ship (done when the shipment is reported); a
    /// declined card releases the stock.
    static func saga(_ places: Places) -> Saga<Order> {
        Saga<Order>(
            name: places.saga,
            start: { event in
                guard event.type == OrderPlaced.eventType else { return nil }
                let placed = try event.decode(OrderPlaced.self)
                return (placed.order, Order(placed: placed))
            },
            steps: [
                .sending(
                    "inventory", ReserveStock.self, to: places.stock,
                    { ReserveStock(order: $0.placed.order, item: $0.placed.item, quantity: $0.placed.quantity) },
                    compensation: (
                        places.releases,
                        {
                            try Event(
                                ReleaseStock(order: $0.placed.order, item: $0.placed.item, quantity: $0.placed.quantity),
                                source: "order-saga")
                        }
                    )),
                .sending(
                    "payment", Charge.self, to: places.payments,
                    { Charge(order: $0.placed.order, card: $0.placed.card, cents: 1250 * $0.placed.quantity) },
                    done: { order, charged in order.receipt = charged.receipt }),
                SagaStep(
                    "shipping", to: places.shipping,
                    command: {
                        try Event(Ship(order: $0.placed.order, item: $0.placed.item, quantity: $0.placed.quantity), source: "order-saga")
                    },
                    done: { order, shipped in order.parcel = try shipped.decode(OrderShipped.self).parcel }, timeout: .seconds(600),
                    awaiting: SagaAwait(places.shipments, done: [OrderShipped.eventType])),
            ])
    }

    /// The saga's runner, reading the orders as a group named after the saga.
    static func runner(_ places: Places, _ transports: Transports, store: any SagaStore) async throws -> SagaRunner<Order> {
        let starts = try await transports.subscribe(to: places.orders, options: SubscribeOptions(group: places.saga))
        return SagaRunner(saga: saga(places), starts: starts, transports: transports, store: store, logger: quiet)
    }

    static func run() async throws {
        // `saga <tag> <store path>`: only the saga, on the destinations of `tag` (the process
        // the crash test kills at every step).
        let arguments = CommandLine.arguments
        if arguments.count == 4, arguments[1] == "saga" {
            let transports = transports(quiet)
            try await runner(try Places(tag: arguments[2]), transports, store: try SQLiteSagaStore(path: arguments[3])).run()
            return
        }
        let places = try Places(tag: UUID().uuidString.prefix(8).lowercased())
        let transports = transports(quiet)
        for place in places.all { try await transports.transport(for: place).provision(place, partitions: 1) }
        let shelf = Locked(["book": 10])
        var services = try await serve(places, transports, shelf: shelf, effect: say)
        let store = try SQLiteSagaStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("order-saga-\(UUID()).db").path)
        let runner = try await runner(places, transports, store: store)
        services.append(Task { try await runner.run() })

        // Two customers order; the second one's card is declined.
        let shop = try await transports.publisher(for: places.orders)
        _ = try await shop.publish([
            try Event(OrderPlaced(order: "o-1", item: "book", quantity: 2, card: "4242-4242-4242-4242"), source: "/shop"),
            try Event(OrderPlaced(order: "o-2", item: "book", quantity: 3, card: declined), source: "/shop"),
        ])
        await shop.close()
        say("shop (Kafka): orders o-1 and o-2 placed")

        let deadline = ContinuousClock.now + .seconds(120)
        var finished: [SagaRecord] = []
        while finished.count < 2 {
            guard ContinuousClock.now < deadline else {
                say("the orders did not finish within 120 s; are the brokers up (scripts/brokers up)?")
                exit(1)
            }
            try await Task.sleep(for: .milliseconds(200))
            finished = []
            for id in ["o-1", "o-2"] {
                if let record = try await store.load(saga: places.saga, id: id), record.status.isFinished { finished.append(record) }
            }
        }
        for service in services { service.cancel() }
        for record in finished.sorted(by: { $0.id < $1.id }) {
            let order = try JSONDecoder().decode(Order.self, from: record.state)
            switch record.status {
            case .completed: say("order \(record.id): completed (\(order.receipt ?? "-"), \(order.parcel ?? "-"))")
            default: say("order \(record.id): cancelled, \(record.history.map(\.what).joined(separator: " → "))")
            }
        }
        say("stock of book: \(shelf.withLock { $0["book"] ?? 0 }) of 10")
        await transports.shutdown()
    }

    @Sendable static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
