import Ferry
import Foundation
import Testing

@testable import FerryRabbitMQ

/// The RabbitMQ consumer's state machine, without a broker.
@Suite struct RabbitMQConsumerStateTests {
    func delivery(_ tag: UInt64) -> (delivered: AMQPDelivered, generation: Int) {
        (
            AMQPDelivered(
                deliveryTag: tag, redelivered: false, message: AMQPMessage(headers: [:], body: Data())), 1
        )
    }

    @Test func handsOutInOrderThenAsksForAFetch() {
        var state = RabbitMQConsumerState()
        guard case .fetch = state.next() else {
            Issue.record("nothing buffered: fetch")
            return
        }
        state.accept([delivery(1), delivery(2)])
        var tags: [UInt64] = []
        while case .message(let next) = state.next() { tags.append(next.delivered.deliveryTag) }
        #expect(tags == [1, 2])
    }

    @Test func fetchesWaitBrieflyWhileDeliveriesAreUnsettled() {
        var state = RabbitMQConsumerState()
        #expect(state.fetchWait == .milliseconds(100))
        state.accept([delivery(1)])
        _ = state.next()
        #expect(state.fetchWait == .milliseconds(2), "its ack should not wait for a long fetch")
        state.settled()
        #expect(state.fetchWait == .milliseconds(100))
    }

    @Test func closingEndsTheConsumerEvenWithDeliveriesBuffered() {
        var state = RabbitMQConsumerState()
        state.accept([delivery(1)])
        state.close()
        guard case .closed = state.next() else {
            Issue.record("closed")
            return
        }
    }
}
