import Ferry
import FerryConformance
import FerrySQLite
import Foundation
import Testing

@testable import OrderSaga

/// The order saga (Examples/OrderSaga) as a process of its own, SIGKILLed at every step: each
/// time one of its services is handed a command, before the service acts on it, so the saga
/// dies between sending a command and saving its turn, or before it reads the reply. Started
/// again each time, it ends every order completed or compensated, each effect carried out once.
@Suite(.enabled(if: brokerURLs.count == 3, "needs Kafka, RabbitMQ and Redis (scripts/test starts them)"))
struct SagaCrashTests {
    @Test func aSagaKilledAtEveryStepEndsEachOrderWithEachEffectOnce() async throws {
        let tag = "crash-\(UUID().uuidString.prefix(8).lowercased())"
        let places = try OrderSaga.Places(tag: tag)
        let transports = OrderSaga.transports(OrderSaga.quiet)
        for place in places.all { try await transports.transport(for: place).provision(place, partitions: 1) }
        let storePath = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(tag)/sagas.db").path
        let running = Locked<ChildProcess?>(nil)
        let kills = Locked(0)
        let effects = Locked<[String]>([])
        let shelf = Locked(["book": 100])
        let services = try await OrderSaga.serve(places, transports, shelf: shelf) { effect in
            effects.withLock { $0.append(effect) }
            if let saga = running.withLock({ $0 }) {
                saga.kill(SIGKILL)
                kills.withLock { $0 += 1 }
            }
        }
        // Keeps one saga process running: started again whenever it dies.
        let keeper = Task {
            while !Task.isCancelled {
                let saga = try ChildProcess(FerryProcess.built("example-order-saga"), ["saga", tag, storePath])
                running.withLock { $0 = saga }
                _ = await saga.exit()
            }
        }
        defer {
            keeper.cancel()
            running.withLock { $0 }?.kill(SIGKILL)
            for service in services { service.cancel() }
        }
        let shop = try await transports.publisher(for: places.orders)
        _ = try await shop.publish([
            try Event(OrderSaga.OrderPlaced(order: "o-1", item: "book", quantity: 1, card: "4242-4242-4242-4242"), source: "/shop"),
            try Event(OrderSaga.OrderPlaced(order: "o-2", item: "book", quantity: 2, card: OrderSaga.declined), source: "/shop"),
        ])
        await shop.close()

        let store = try SQLiteSagaStore(path: storePath)  // the file the saga processes share
        try await eventually(.seconds(300), "both orders end, the saga killed at every step") {
            var finished = 0
            for id in ["o-1", "o-2"] where try await store.load(saga: places.saga, id: id)?.status.isFinished == true { finished += 1 }
            return finished == 2
        }
        #expect(try await store.load(saga: places.saga, id: "o-1")?.status == .completed)
        #expect(try await store.load(saga: places.saga, id: "o-2")?.status == .compensated)
        #expect(
            effects.withLock { $0 }.sorted() == [
                "inventory (Redis): released 2 × book of o-2", "inventory (Redis): reserved 1 × book for o-1",
                "inventory (Redis): reserved 2 × book for o-2", "payment (RabbitMQ): card declined for o-2",
                "payment (RabbitMQ): charged 1250 cents for o-1", "shipping (Kafka): sent 1 × book for o-1",
            ], "each effect once")
        #expect(kills.withLock { $0 } >= 6, "the saga was killed at each of the six steps")
        #expect(shelf.withLock { $0["book"] } == 99, "only the shipped order's stock is gone")
    }
}
