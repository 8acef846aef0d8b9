import Ferry
import FerryRabbitMQ
import FerryRedis
import Foundation
import Logging

/// The same order flow twice. Event notification: the order service says only "order o-1 was
/// placed" (Redis), and shipping must call back (a command over RabbitMQ) to learn what to
/// ship. Event-carried state transfer: the event carries the order, and shipping needs nobody;
/// it ships even while the order service is down. Run against the local brokers:
/// `scripts/example notification-vs-state-transfer`.
@main
enum NotificationVsStateTransfer {
    struct OrderDetails: Codable, Sendable {
        var order: String, item: String, quantity: Int, address: String
    }
    /// Notification: what happened, and where to ask for more.
    struct OrderPlaced: EventPayload {
        static let eventType = "shop.order.placed"
        var order: String
    }
    /// State transfer: what happened, with the state the readers need.
    struct OrderPlacedWithDetails: EventPayload {
        static let eventType = "shop.order.placed.details"
        var details: OrderDetails
    }
    struct GetOrder: Command {
        typealias Reply = OrderFound
        static let eventType = "shop.order.get"
        var order: String
    }
    struct OrderFound: EventPayload {
        static let eventType = "shop.order.found"
        var details: OrderDetails
    }

    static func main() async {
        do {
            try await run()
        } catch {
            say("\(CommandLine.arguments[0].split(separator: "/").last ?? ""): \(error)")
            exit(1)
        }
    }

    static func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let redis = env["FERRY_REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let amqp = env["FERRY_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
        let tag = UUID().uuidString.prefix(8).lowercased()
        var logger = Logger(label: "example")
        logger.logLevel = .critical
        let transports = Transports([RedisTransport(logger: logger), RabbitMQTransport(logger: logger)])
        let orders = [
            OrderDetails(order: "o-1", item: "book", quantity: 2, address: "1 Main St"),
            OrderDetails(order: "o-2", item: "lamp", quantity: 1, address: "2 High St"),
            OrderDetails(order: "o-3", item: "chair", quantity: 4, address: "3 Low Rd"),
        ]
        let late = OrderDetails(order: "o-4", item: "desk", quantity: 1, address: "4 Elm St")

        // The order service answers "what is order X?" over RabbitMQ, while it is up.
        let lookups = try Endpoint("\(amqp)?queue=example-orders-lookup-\(tag)")
        try await transports.transport(for: lookups).provision(lookups, partitions: 1)
        let known = Locked(Dictionary(uniqueKeysWithValues: (orders + [late]).map { ($0.order, $0) }))
        let lookupSubscription = try await transports.subscribe(to: lookups, options: SubscribeOptions(group: "orders"))
        let orderService = Responder<GetOrder>(
            subscription: lookupSubscription, transports: transports, options: ConsumerOptions(retry: RetryPolicy(maxAttempts: 1)),
            logger: logger
        ) { get, _ in
            guard let details = known.withLock({ $0[get.order] }) else {
                throw CommandFailure(code: "unknown", message: "no order \(get.order)")
            }
            return OrderFound(details: details)
        }
        let service = Task { try await orderService.run() }
        let requester = Requester(transports: transports, source: "/shipping", logger: logger)

        for notifying in [true, false] {
            let mode = notifying ? "event notification" : "event-carried state transfer"
            let stream = try Endpoint("\(redis)/example-orders-\(notifying ? "notified" : "carried")-\(tag)")
            let counts = Locked((calls: 0, shipped: 0, stuck: 0))
            let subscription = try await transports.subscribe(to: stream, options: SubscribeOptions(group: "shipping"))
            let shipping = Consumer(
                subscription: subscription, options: ConsumerOptions(retry: RetryPolicy(maxAttempts: 1)), logger: logger
            ) {
                delivery in
                let details: OrderDetails
                if notifying {
                    let placed = try delivery.event.decode(OrderPlaced.self)
                    counts.withLock { $0.calls += 1 }
                    do {
                        details = try await requester.request(GetOrder(order: placed.order), to: lookups, timeout: .seconds(3)).details
                    } catch {
                        counts.withLock { $0.stuck += 1 }
                        say("\(mode): \(placed.order) cannot ship: the order service did not answer")
                        return
                    }
                } else {
                    details = try delivery.event.decode(OrderPlacedWithDetails.self).details
                }
                counts.withLock { $0.shipped += 1 }
                say("\(mode): shipped \(details.quantity) × \(details.item) of \(details.order) to \(details.address)")
            }
            let consuming = Task { try await shipping.run() }
            let publisher = try await transports.publisher(for: stream)
            var bytes = 0
            for details in notifying ? orders : orders + [late] {
                let event =
                    notifying
                    ? try Event(OrderPlaced(order: details.order), source: "/orders")
                    : try Event(OrderPlacedWithDetails(details: details), source: "/orders")
                _ = try await publisher.publish(event)
                bytes = event.data.count
            }
            let expected = notifying ? orders.count : orders.count + 1
            try await waitUntil { counts.withLock { $0.shipped } == expected }
            let calls = counts.withLock { $0.calls }
            say(
                "\(mode): \(expected) orders shipped, \(calls) calls back to the order service, \(bytes) bytes of data per event"
                    + (notifying ? "" : ", the order service down all along"))
            if notifying {
                // The order service goes down; one more order is placed.
                service.cancel()
                await lookupSubscription.close()
                _ = try await publisher.publish(try Event(OrderPlaced(order: late.order), source: "/orders"))
                try await waitUntil { counts.withLock { $0.stuck } == 1 }
            }
            await publisher.close()
            consuming.cancel()
            await subscription.close()
        }
        await requester.close()
        await transports.shutdown()
    }

    static func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                say("nothing happened within 60 s; are the brokers up (scripts/brokers up)?")
                exit(1)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
