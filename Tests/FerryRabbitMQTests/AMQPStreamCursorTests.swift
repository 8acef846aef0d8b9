import Ferry
import Foundation
import Testing

@testable import FerryRabbitMQ

/// Where a subscription to a stream queue attaches, first and after a lost connection.
struct AMQPStreamCursorTests {
    let stream = try! AMQPEndpoint(try! Endpoint("amqp://127.0.0.1/?queue=log&queue-type=stream"))

    func offsetArgument(_ cursor: AMQPStreamCursor) -> String {
        guard let (name, value) = cursor.arguments.first, name == "x-stream-offset" else { return "none" }
        switch value {
        case .string(let text): return text
        case .long(let number): return "long \(number)"
        case .timestamp(let seconds): return "timestamp \(seconds)"
        }
    }

    @Test func attachesWhereTheStartSaysFirst() throws {
        #expect(offsetArgument(try AMQPStreamCursor(.earliest, endpoint: stream, queue: "log")) == "first")
        #expect(offsetArgument(try AMQPStreamCursor(.latest, endpoint: stream, queue: "log")) == "next")
        #expect(offsetArgument(try AMQPStreamCursor(.offset("41"), endpoint: stream, queue: "log")) == "long 41")
        let time = Date(timeIntervalSince1970: 1_700_000_000.75)
        #expect(offsetArgument(try AMQPStreamCursor(.time(time), endpoint: stream, queue: "log")) == "timestamp 1700000000")
        #expect(throws: FerryError.self) { try AMQPStreamCursor(.offset("-1"), endpoint: stream, queue: "log") }
        #expect(throws: FerryError.self) { try AMQPStreamCursor(.offset("first"), endpoint: stream, queue: "log") }
    }

    @Test func reattachesAtTheFirstUnsettledOffset() throws {
        var cursor = try AMQPStreamCursor(.earliest, endpoint: stream, queue: "log")
        for offset in Int64(10)...13 { #expect(!cursor.deliver(offset) { nil }) }
        cursor.settle(10)
        cursor.settle(12)
        #expect(offsetArgument(cursor) == "long 11")
        cursor.settle(11)
        cursor.settle(13)
        #expect(offsetArgument(cursor) == "long 14")
    }

    /// RabbitMQ attaches at the chunk holding the start's second: the chunk's messages from
    /// just before the start are passed over, until the first one at or after it.
    @Test func passesOverWhatComesJustBeforeAStartTime() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000.5)
        let micros = Event.micros(of: start)
        var cursor = try AMQPStreamCursor(.time(start), endpoint: stream, queue: "log")
        #expect(cursor.deliver(0) { micros - 1 })
        #expect(cursor.deliver(1) { micros - 1_400_000 }, "the second before the start's second counts too")
        #expect(!cursor.deliver(2) { micros })
        #expect(!cursor.deliver(3) { micros - 1 }, "once attached, an older event time is delivered")
        #expect(offsetArgument(cursor) == "long 2")
    }

    /// An event much older than the start is not from the attach chunk's second: an old event
    /// relayed into the stream later. It is delivered, and ends the passing over.
    @Test func deliversAnOldEventRelayedLater() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000.5)
        let micros = Event.micros(of: start)
        var cursor = try AMQPStreamCursor(.time(start), endpoint: stream, queue: "log")
        #expect(!cursor.deliver(0) { micros - 3_600_000_000 })
        #expect(!cursor.deliver(1) { micros - 1 }, "attached by the first delivered message")
        #expect(!cursor.deliver(2) { nil })
    }

    /// Offsets are the broker's: a header out of range is no offset.
    @Test func anOffsetHeaderOutOfRangeIsNone() {
        func delivered(_ header: String) -> AMQPDelivered {
            AMQPDelivered(
                deliveryTag: 1, redelivered: false, message: AMQPMessage(headers: [AMQPStreamCursor.header: header], body: Data()))
        }
        #expect(AMQPStreamCursor.offset(of: delivered("41")) == 41)
        #expect(AMQPStreamCursor.offset(of: delivered("-1")) == nil)
        #expect(AMQPStreamCursor.offset(of: delivered("9223372036854775807")) == nil)
        #expect(AMQPStreamCursor.offset(of: delivered("x")) == nil)
    }
}
