import Ferry
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A `Consumer` run as a service stops the way operators expect.
@Suite struct ConsumerShutdownTests {
    @Test func aGracefulShutdownFinishesAndSettlesTheHandlerInHand() async throws {
        let transport = MemoryTransport()
        let endpoint = try Endpoint("memory://shutdown-\(UUID().uuidString.prefix(8).lowercased())")
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "g"))
        _ = try await transport.makePublisher(for: endpoint).publish(Event(source: "/t", type: "t"))
        let (started, handlerStarted) = AsyncStream.makeStream(of: Void.self)
        let finished = Locked(false)
        let consumer = Consumer(subscription: subscription, logger: Logger(label: "test")) { _ in
            handlerStarted.yield()
            try await Task.sleep(for: .milliseconds(300))  // a cancelled handler would throw here
            finished.withLock { $0 = true }
        }
        let group = ServiceGroup(services: [consumer], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for await _ in started { break }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(finished.withLock { $0 }, "the handler ran to its end")
        let lag = try await transport.lag(of: endpoint, group: "g").reduce(0) { $0 + $1.lag }
        #expect(lag == 0, "and its delivery was acked before the subscription closed")
    }
}
