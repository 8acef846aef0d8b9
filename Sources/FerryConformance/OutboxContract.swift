import Ferry
import Foundation

/// What every outbox table must do as a relay's source, checked the same way on PostgreSQL and
/// SQLite: `endpoint` names a fresh table (`…?table=NAME`).
public enum OutboxContract {
    static func sample(_ index: Int, key: String? = nil) -> Event {
        Event(
            source: "/ferry/outbox", type: "ferry.outbox.test", datacontenttype: "application/json", partitionkey: key,
            extensions: ["seq": String(index)], data: Data("{\"n\":\(index)}".utf8))
    }

    /// Rows come out oldest first, whole; an acked row is gone, an unacked one comes back to
    /// the next reader; lag counts the rows waiting.
    public static func drainsInOrderAndDeletesOnlyWhatWasAcked(_ transport: any Transport, _ endpoint: Endpoint) async throws {
        let publisher = try await transport.makePublisher(for: endpoint)
        let events = (0..<30).map { sample($0, key: "k\($0 % 3)") }
        _ = try await publisher.publish(events)
        try expectEqual(try await transport.lag(of: endpoint, group: "relay").map(\.lag), [30], "rows waiting")
        let first = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "relay"))
        let got = try await first.take(30, within: .seconds(30), "every row")
        try expectEqual(got.map(\.event.id), events.map(\.id), "ids in the order written")
        try expectEqual(got[4].event, events[4], "an event read back whole")
        for delivery in got.prefix(20) { try await delivery.ack() }
        await first.close()
        try expectEqual(try await transport.lag(of: endpoint, group: "relay").map(\.lag), [10], "rows left after 20 acks")
        let second = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "relay"))
        defer { Task { await second.close() } }
        let rest = try await second.take(10, within: .seconds(30), "the unacked rows")
        try expectEqual(rest.map(\.event.id), events.suffix(10).map(\.id), "the unacked rows, again")
        for delivery in rest { try await delivery.ack() }
        try await eventually(.seconds(10), "the outbox drained") {
            try await transport.lag(of: endpoint, group: "relay").map(\.lag) == [0]
        }
    }

    /// A retried row waits its delay and comes back as the next attempt; a dead-lettered row
    /// and a row that is no event both end in the dead-letter table with a reason.
    public static func retriesAndDeadLettersRows(_ transport: any Transport, _ endpoint: Endpoint) async throws {
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish([sample(1), sample(2)])
        _ = await publisher.send(raw: [RawMessage(body: Data("not an event".utf8))])
        let subscription = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "relay"))
        defer { Task { await subscription.close() } }
        let both = try await subscription.take(2, within: .seconds(30), "the two events (the bad row dead-lettered)")
        try await both[0].retry(after: .milliseconds(300))
        try await both[1].deadLetter(DeadLetterReason(.handler, "refused in a test"))
        let again = try await subscription.take(1, within: .seconds(30), "the retried row")
        try expectEqual(again[0].event.id, both[0].event.id, "the retried event")
        try expectEqual(again[0].attempt, 2, "its attempt")
        try await again[0].ack()
        let dlq = try transport.deadLetterEndpoint(for: endpoint)
        try await eventually(.seconds(10), "two dead letters") { try await transport.lag(of: dlq, group: "g").map(\.lag) == [2] }
        let letters = try await transport.subscribe(to: dlq, options: SubscribeOptions(group: "g"))
        defer { Task { await letters.close() } }
        let dead = try await letters.take(2, within: .seconds(30), "the dead letters")
        let reasons = Set(dead.compactMap { $0.event.headers[DeadLetterRecord.Header.reason] })
        try expectEqual(reasons, ["decode", "handler"], "the reasons recorded")
    }

    /// Of two readers of one outbox, one drains it; the other takes over once it is gone.
    public static func oneReaderAtATimeAndATakeover(_ transport: any Transport, _ endpoint: Endpoint) async throws {
        let publisher = try await transport.makePublisher(for: endpoint)
        _ = try await publisher.publish((0..<10).map { sample($0) })
        let first = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "relay"))
        let got = try await first.take(10, within: .seconds(30), "the first reader's rows")
        let second = try await transport.subscribe(to: endpoint, options: SubscribeOptions(group: "relay"))
        defer { Task { await second.close() } }
        _ = try await publisher.publish([sample(10)])
        var stole = true
        do {
            _ = try await second.take(1, within: .seconds(2), "a row while the first reader leads")
        } catch is ConformanceFailure {
            stole = false
        }
        try expect(!stole, "the second reader read while the first held the lease")
        for delivery in got.prefix(5) { try await delivery.ack() }
        await first.close()
        let rest = try await second.take(6, within: .seconds(30), "the rest, after the takeover")
        try expectEqual(
            rest.compactMap { $0.event.extensions["seq"] }, ["5", "6", "7", "8", "9", "10"], "the unacked rows and the new one, in order")
        for delivery in rest { try await delivery.ack() }
    }
}
