import Ferry
import Foundation
import Logging

/// Sagas (`SagaRunner`) on every backend: an order is charged, then shipped; a failed shipment
/// is undone by a refund. The shipping service answers the saga's command with a reply, or
/// (`reports`) with an event of its own that the saga awaits. Part of `ConformanceSuite.cases`.
enum SagaConformance {
    static let cases: [ConformanceCase] = [
        ConformanceCase(name: "saga-completes-every-step-once", body: completesEveryStepOnce),
        ConformanceCase(name: "saga-undoes-the-done-steps-when-one-fails", body: undoesTheDoneStepsWhenOneFails),
        ConformanceCase(name: "saga-times-out-an-unanswered-step-and-undoes-the-done-ones", body: timesOutAnUnansweredStep),
        ConformanceCase(name: "saga-step-completed-by-another-services-event", body: completesOnAnotherServicesEvent),
        ConformanceCase(name: "saga-step-failed-by-another-services-event-undoes-the-done-ones", body: undoesOnAnotherServicesEvent),
    ]

    /// What the shipping service does.
    enum Shipping { case ships, refuses, isDown }

    struct OrderPlaced: EventPayload {
        static let eventType = "com.example.conformance.order-placed"
        var order: String
        var cents: Int
    }

    struct Refund: Command {
        typealias Reply = Refunded
        static let eventType = "com.example.conformance.refund"
        var receipt: String
    }

    struct Refunded: EventPayload { static let eventType = "com.example.conformance.refunded" }

    struct Ship: Command {
        typealias Reply = Shipped
        static let eventType = "com.example.conformance.ship"
        var order: String
    }

    struct Shipped: EventPayload { static let eventType = "com.example.conformance.shipped" }

    /// What a shipping service that reports on its own topic publishes.
    struct OrderShipped: EventPayload {
        static let eventType = "com.example.conformance.order-shipped"
        var parcel: String
    }
    struct ShipmentRefused: EventPayload { static let eventType = "com.example.conformance.shipment-refused" }

    struct OrderState: Codable, Sendable {
        var order: String
        var cents: Int
        var receipt: String?
        var parcel: String?
    }

    /// Runs the order saga until `instance` of it finishes; the effects each service counted.
    static func run(
        _ h: ConformanceHarness, _ label: String, shipping: Shipping, reports: Bool = false, startTwice: Bool = false
    ) async throws -> (
        SagaRecord, charges: Int, refunds: Int, shipments: Int
    ) {
        let transports = Transports([h.transport])
        let logger = Logger(label: "conformance")
        let effects = Locked((charges: 0, refunds: 0, shipments: 0))
        var services: [Task<Void, any Error>] = []
        var subscriptions: [Subscription] = []
        func serve<C: Command>(
            _ type: C.Type, _ name: String, running: Bool = true, _ handle: @escaping @Sendable (C) throws -> C.Reply
        ) async throws -> Endpoint {
            let endpoint = try await h.freshEndpoint("\(label)-\(name)", partitions: 1)
            let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup(name)))
            subscriptions.append(subscription)
            guard running else { return endpoint }
            let responder = Responder<C>(subscription: subscription, transports: transports, logger: logger) { command, _ in
                try handle(command)
            }
            services.append(Task { try await responder.run() })
            return endpoint
        }
        let payments = try await serve(CommandConformance.Charge.self, "charge") { charge in
            effects.withLock { $0.charges += 1 }
            return CommandConformance.Charged(order: charge.order, receipt: "r-\(charge.order)")
        }
        let refunds = try await serve(Refund.self, "refund") { _ in
            effects.withLock { $0.refunds += 1 }
            return Refunded()
        }
        let couriers = try await serve(Ship.self, "ship", running: shipping != .isDown && !reports) { _ in
            effects.withLock { $0.shipments += 1 }
            if shipping == .refuses { throw CommandFailure(code: "no-courier", message: "no courier today") }
            return Shipped()
        }
        // The reporting shipping service: a plain consumer of the saga's command, which says
        // what it did on a topic of its own, keyed by the order.
        let shipments = try await h.freshEndpoint("\(label)-shipments", partitions: 1)
        if reports {
            let reporter = try await h.transport.makePublisher(for: shipments)
            // Its subscription is the one `serve` opened last.
            let consumer = Consumer(subscription: subscriptions.last!, logger: logger) { delivery in
                let ship = try delivery.event.decode(Ship.self)
                effects.withLock { $0.shipments += 1 }
                var report =
                    shipping == .refuses
                    ? try Event(ShipmentRefused(), source: "/conformance/shipping")
                    : try Event(OrderShipped(parcel: "p-\(ship.order)"), source: "/conformance/shipping")
                report.partitionkey = ship.order
                _ = try await reporter.publish(report)
            }
            services.append(
                Task {
                    defer { Task { await reporter.close() } }
                    try await consumer.run()
                })
        }
        // Short only where it is the point: a slow machine must not time out a shipment made.
        let timeout: Duration = shipping == .isDown ? .seconds(3) : .seconds(60)
        let saga = Saga<OrderState>(
            name: "order-\(UUID().uuidString.prefix(8).lowercased())",
            start: { event in
                guard event.type == OrderPlaced.eventType else { return nil }
                let placed = try event.decode(OrderPlaced.self)
                return (placed.order, OrderState(order: placed.order, cents: placed.cents))
            },
            steps: [
                .sending(
                    "payment", CommandConformance.Charge.self, to: payments,
                    { CommandConformance.Charge(order: $0.order, cents: $0.cents) },
                    done: { state, charged in state.receipt = charged.receipt },
                    compensation: (refunds, { try Event(Refund(receipt: $0.receipt ?? ""), source: "ferry:saga") })),
                reports
                    ? SagaStep(
                        "shipping", to: couriers, command: { try Event(Ship(order: $0.order), source: "ferry:saga") },
                        done: { state, shipped in state.parcel = try shipped.decode(OrderShipped.self).parcel },
                        timeout: timeout,
                        awaiting: SagaAwait(shipments, done: [OrderShipped.eventType], failed: [ShipmentRefused.eventType]))
                    : .sending("shipping", Ship.self, to: couriers, { Ship(order: $0.order) }, timeout: timeout),
            ])
        let starts = try await h.freshEndpoint("\(label)-orders", partitions: 1)
        let startSubscription = try await h.transport.subscribe(to: starts, options: SubscribeOptions(group: h.uniqueGroup("saga")))
        subscriptions.append(startSubscription)
        let store = MemorySagaStore()
        let runner = SagaRunner(saga: saga, starts: startSubscription, transports: transports, store: store, logger: logger)
        services.append(Task { try await runner.run() })
        let running = services
        let opened = subscriptions
        defer {
            for service in running { service.cancel() }
            Task { for subscription in opened { await subscription.close() } }
        }
        let publisher = try await h.transport.makePublisher(for: starts)
        let placed = try Event(OrderPlaced(order: "o-\(label)", cents: 990), source: "/conformance/shop")
        _ = try await publisher.publish(startTwice ? [placed, placed] : [placed])
        await publisher.close()
        try await eventually(h.timeout * 2, "the saga instance finishes") {
            try await store.load(saga: saga.name, id: "o-\(label)")?.status.isFinished == true
        }
        let record = try await store.load(saga: saga.name, id: "o-\(label)")!
        let counted = effects.withLock { $0 }
        return (record, counted.charges, counted.refunds, counted.shipments)
    }

    static func completesEveryStepOnce(_ h: ConformanceHarness) async throws {
        let (record, charges, refunds, shipments) = try await run(h, "done", shipping: .ships, startTwice: true)
        try expectEqual(record.status, .completed, "status; history: \(record.history.map(\.what))")
        try expectEqual(record.history.map(\.what), ["started", "payment done", "shipping done"], "history")
        try expectEqual([charges, refunds, shipments], [1, 0, 1], "charges, refunds, shipments (the order placed twice)")
        let state = try JSONDecoder().decode(OrderState.self, from: record.state)
        try expectEqual(state.receipt, "r-o-done", "the payment's reply in the state")
    }

    static func undoesTheDoneStepsWhenOneFails(_ h: ConformanceHarness) async throws {
        let (record, charges, refunds, shipments) = try await run(h, "undone", shipping: .refuses)
        try expectEqual(record.status, .compensated, "status; history: \(record.history.map(\.what))")
        try expectEqual(
            record.history.map(\.what), ["started", "payment done", "shipping failed", "payment undone"], "history")
        try expectEqual([charges, refunds, shipments], [1, 1, 1], "charges, refunds, shipments")
    }

    static func timesOutAnUnansweredStep(_ h: ConformanceHarness) async throws {
        let (record, charges, refunds, shipments) = try await run(h, "late", shipping: .isDown)
        try expectEqual(record.status, .compensated, "status; history: \(record.history.map(\.what))")
        try expectEqual(
            record.history.map(\.what), ["started", "payment done", "shipping failed", "payment undone"], "history")
        try expectEqual(record.history[2].input, CommandFailure.eventType, "the shipping step failed by its timer")
        try expectEqual([charges, refunds, shipments], [1, 1, 0], "charges, refunds, shipments")
    }

    static func completesOnAnotherServicesEvent(_ h: ConformanceHarness) async throws {
        let (record, charges, refunds, shipments) = try await run(h, "reported", shipping: .ships, reports: true)
        try expectEqual(record.status, .completed, "status; history: \(record.history.map(\.what))")
        try expectEqual(record.history.map(\.what), ["started", "payment done", "shipping done"], "history")
        try expectEqual(record.history[2].input, OrderShipped.eventType, "the shipping step done by the service's event")
        try expectEqual([charges, refunds, shipments], [1, 0, 1], "charges, refunds, shipments")
        let state = try JSONDecoder().decode(OrderState.self, from: record.state)
        try expectEqual(state.parcel, "p-o-reported", "the event's content in the state")
    }

    static func undoesOnAnotherServicesEvent(_ h: ConformanceHarness) async throws {
        let (record, charges, refunds, shipments) = try await run(h, "refused", shipping: .refuses, reports: true)
        try expectEqual(record.status, .compensated, "status; history: \(record.history.map(\.what))")
        try expectEqual(
            record.history.map(\.what), ["started", "payment done", "shipping failed", "payment undone"], "history")
        try expectEqual(record.history[2].input, ShipmentRefused.eventType, "the shipping step failed by the service's event")
        try expectEqual([charges, refunds, shipments], [1, 1, 1], "charges, refunds, shipments")
    }
}
