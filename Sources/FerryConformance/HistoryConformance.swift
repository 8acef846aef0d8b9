import Ferry
import Foundation

/// Starting a group at a time or an offset, and reading history without a group, the same on
/// every backend (on RabbitMQ, from a stream queue): part of `ConformanceSuite.cases`.
enum HistoryConformance {
    static let cases: [ConformanceCase] = [
        ConformanceCase(name: "group-starts-at-a-time", body: groupStartsAtATime),
        ConformanceCase(name: "group-starts-at-an-offset", body: groupStartsAtAnOffset),
        ConformanceCase(name: "history-from-a-time", body: historyFromATime),
    ]

    /// A fresh single-partition destination that keeps history (one partition: a message of the
    /// first batch, had it been read, would come before the second batch), with `before`
    /// published, then a time, then `after` published. Returns the endpoint, the time, and both
    /// batches.
    static func twoBatches(_ h: ConformanceHarness, _ label: String) async throws -> (Endpoint, Date, [Event], [Event]) {
        let name = "ferry-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        let endpoint = try h.historyEndpoint(name)
        try await h.transport.provision(endpoint, partitions: 1)
        let publisher = try await h.transport.makePublisher(for: endpoint)
        defer { Task { await publisher.close() } }
        let before = (0..<4).map { ConformanceSuite.sample($0, label: label) }
        _ = try await publisher.publish(before)
        // The start falls in a later second than the first batch's writes: RabbitMQ attaches a
        // time at its second, and Ferry passes over only events whose own time is in the second
        // before the start, so a batch whose confirm took seconds under load would be read.
        let confirmed = Date().timeIntervalSince1970
        try await eventually(.seconds(2), "the clock passes into the next second") {
            Date().timeIntervalSince1970.rounded(.down) > confirmed.rounded(.down)
        }
        let time = Date()
        // Brokers keep times to the millisecond: the second batch starts in a later one.
        try await eventually(.seconds(1), "the clock passes the start time") { Date().timeIntervalSince(time) > 0.002 }
        let after = (4..<7).map { ConformanceSuite.sample($0, label: label) }
        _ = try await publisher.publish(after)
        return (endpoint, time, before, after)
    }

    static func groupStartsAtATime(_ h: ConformanceHarness) async throws {
        let (endpoint, time, _, after) = try await twoBatches(h, "start-time")
        let group = try await h.transport.subscribe(
            to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("start-time"), start: .time(time)))
        defer { Task { await group.close() } }
        let got = try await group.take(after.count, within: h.timeout, "the events published after the start time")
        try expectEqual(got.map(\.event.id), after.map(\.id), "a group started at a time reads from the first event after it, in order")
        for delivery in got { try await delivery.ack() }
    }

    static func groupStartsAtAnOffset(_ h: ConformanceHarness) async throws {
        let (endpoint, _, before, after) = try await twoBatches(h, "start-offset")
        let all = before + after
        let reader = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("all")))
        let read = try await reader.take(all.count, within: h.timeout, "every event, with its position")
        for delivery in read { try await delivery.ack() }
        await reader.close()
        try expectEqual(read.map(\.event.id), all.map(\.id), "one partition reads in publish order")
        let group = try await h.transport.subscribe(
            to: endpoint, options: SubscribeOptions(group: h.uniqueGroup("start-offset"), start: .offset(read[2].position.offset)))
        defer { Task { await group.close() } }
        let got = try await group.take(all.count - 2, within: h.timeout, "the events from the third one's offset on")
        try expectEqual(got.map(\.event.id), all.dropFirst(2).map(\.id), "a group started at an offset reads from that event on")
        for delivery in got { try await delivery.ack() }
    }

    static func historyFromATime(_ h: ConformanceHarness) async throws {
        guard let history = h.transport as? any Browsable else {
            throw ConformanceFailure(message: "the transport cannot read history", file: #fileID, line: #line)
        }
        let (endpoint, time, _, after) = try await twoBatches(h, "history")
        let seen = Locked<[Event]>([])
        try await within(h.timeout, "reading the history") {
            try await history.history(endpoint, from: .time(time), limits: MessageLimits()) { browsed in
                seen.withLock { $0.append((try? browsed.envelope.get().event) ?? Event(source: "?", type: "undecodable")) }
                return true
            }
        }
        try expectEqual(seen.withLock { $0.map(\.id) }, after.map(\.id), "history from a time holds the later events, in order")
        try expectEqual(seen.withLock { $0.map(\.data) }, after.map(\.data), "history gives each event's data")
    }
}
