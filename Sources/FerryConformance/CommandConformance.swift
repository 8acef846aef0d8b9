import Ferry
import Foundation
import Logging

/// Commands with replies (`Requester`, `Responder`), the same on every backend: part of
/// `ConformanceSuite.cases`.
enum CommandConformance {
    static let cases: [ConformanceCase] = [
        ConformanceCase(name: "command-gets-its-reply", body: commandGetsItsReply),
        ConformanceCase(name: "command-failure-comes-back-as-a-failure-reply", body: failureComesBackAsAFailureReply),
        ConformanceCase(name: "command-without-a-responder-times-out-and-its-late-reply-is-dropped", body: timesOutAndDropsTheLateReply),
        ConformanceCase(name: "command-sent-again-is-answered-again-and-handled-once", body: sentAgainIsHandledOnce),
        ConformanceCase(name: "command-two-requesters-get-their-own-replies", body: twoRequestersGetTheirOwnReplies),
    ]

    struct Charge: Command {
        typealias Reply = Charged
        static let eventType = "com.example.conformance.charge"
        var order: String
        var cents: Int
    }

    struct Charged: EventPayload {
        static let eventType = "com.example.conformance.charged"
        var order: String
        var receipt: String
    }

    /// A fresh command destination, a responder on it running `handler` (counting its runs),
    /// and a requester; `stop` ends both.
    struct Rig {
        let endpoint: Endpoint
        let requester: Requester
        let runs: Locked<Int>
        let stop: @Sendable () async -> Void
    }

    static func rig(
        _ h: ConformanceHarness, _ label: String, options: ConsumerOptions = ConsumerOptions(), startResponder: Bool = true,
        handler: @escaping @Sendable (Charge) async throws -> Charged = { Charged(order: $0.order, receipt: "r-\($0.cents)") }
    ) async throws -> (Rig, start: @Sendable () -> Void) {
        let endpoint = try await h.freshEndpoint(label, partitions: 2)
        let transports = Transports([h.transport])
        // Subscribed before any command is sent, as RabbitMQ needs; handling starts on `start`.
        let subscription = try await h.transport.subscribe(to: endpoint, options: SubscribeOptions(group: h.uniqueGroup(label)))
        let runs = Locked(0)
        let responder = Responder<Charge>(
            subscription: subscription, transports: transports, options: options, logger: Logger(label: "conformance")
        ) { command, _ in
            runs.withLock { $0 += 1 }
            return try await handler(command)
        }
        let running = Locked<Task<Void, any Error>?>(nil)
        let start: @Sendable () -> Void = { running.withLock { $0 = $0 ?? Task { try await responder.run() } } }
        let requester = Requester(transports: transports, source: "/conformance/requester")
        if startResponder { start() }
        let rig = Rig(endpoint: endpoint, requester: requester, runs: runs) {
            running.withLock { $0?.cancel() }
            await subscription.close()
            await requester.close()
        }
        return (rig, start)
    }

    static func commandGetsItsReply(_ h: ConformanceHarness) async throws {
        let (rig, _) = try await rig(h, "command")
        defer { Task { await rig.stop() } }
        let reply = try await rig.requester.request(Charge(order: "o-1", cents: 1250), to: rig.endpoint, timeout: h.timeout)
        try expectEqual(reply.receipt, "r-1250", "the handler's reply")
        try expectEqual(reply.order, "o-1", "for this command")
        let command = try Event(Charge(order: "o-2", cents: 5), source: "/conformance/requester")
        let event = try await rig.requester.request(command, to: rig.endpoint, timeout: h.timeout)
        try expectEqual(event.type, Charged.eventType, "the reply's type")
        try expectEqual(event.causationid, command.id, "the reply names the command as its cause")
        try expectEqual(event.correlationid, command.id, "and carries its correlation id")
        try expectEqual(rig.runs.withLock { $0 }, 2, "handler runs")
    }

    static func failureComesBackAsAFailureReply(_ h: ConformanceHarness) async throws {
        let options = ConsumerOptions(retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(50), jitter: 0))
        let (rig, _) = try await rig(h, "refused", options: options) { command in
            switch command.order {
            case "declined": throw CommandFailure(code: "declined", message: "card declined")
            default: throw FerryError(.connectionFailed, "the payment service is down")
            }
        }
        defer { Task { await rig.stop() } }
        do {
            _ = try await rig.requester.request(Charge(order: "declined", cents: 1), to: rig.endpoint, timeout: h.timeout)
            throw ConformanceFailure(message: "a declined charge was answered with a reply", file: #fileID, line: #line)
        } catch let failure as CommandFailure {
            try expectEqual(failure, CommandFailure(code: "declined", message: "card declined"), "the handler's failure")
        }
        try expectEqual(rig.runs.withLock { $0 }, 1, "a refusal is an answer: not retried")
        do {
            _ = try await rig.requester.request(Charge(order: "down", cents: 1), to: rig.endpoint, timeout: h.timeout)
            throw ConformanceFailure(message: "a failing handler's command was answered with a reply", file: #fileID, line: #line)
        } catch let failure as CommandFailure {
            try expectEqual(failure.code, "retries-exhausted", "answered once retries ran out: \(failure)")
            try expect(failure.message.contains("dead letters"), "saying where the command went: \(failure.message)")
            try expect(!failure.message.contains("payment service"), "the handler's error text stays with the responder")
        }
        try expectEqual(rig.runs.withLock { $0 }, 3, "the failing command was tried twice")
        let dead = try await h.transport.subscribe(
            to: try h.transport.deadLetterEndpoint(for: rig.endpoint), options: SubscribeOptions(group: "audit"))
        defer { Task { await dead.close() } }
        let letter = try await dead.take(1, within: h.timeout, "the failed command in the dead letters")[0]
        try expectEqual(letter.event.type, Charge.eventType, "the dead letter is the command")
    }

    static func timesOutAndDropsTheLateReply(_ h: ConformanceHarness) async throws {
        let (rig, start) = try await rig(h, "late", startResponder: false)
        defer { Task { await rig.stop() } }
        let started = ContinuousClock.now
        do {
            _ = try await rig.requester.request(Charge(order: "o-late", cents: 1), to: rig.endpoint, timeout: .seconds(1))
            throw ConformanceFailure(message: "a command nobody handles was answered", file: #fileID, line: #line)
        } catch let error as FerryError where error.code == .timeout {
            let waited = ContinuousClock.now - started
            try expect(waited >= .seconds(1) && waited < .seconds(60), "the timeout ends the wait, not sooner (\(waited))")
        }
        start()  // the responder comes up and answers the command nobody waits for any more
        try await eventually(h.timeout, "the late reply is counted") { rig.requester.lateReplies == 1 }
        try expectEqual(rig.runs.withLock { $0 }, 1, "the command was handled")
        let reply = try await rig.requester.request(Charge(order: "o-next", cents: 2), to: rig.endpoint, timeout: h.timeout)
        try expectEqual(reply.receipt, "r-2", "the next request is answered")
    }

    static func sentAgainIsHandledOnce(_ h: ConformanceHarness) async throws {
        let (rig, _) = try await rig(h, "again")
        defer { Task { await rig.stop() } }
        let command = try Event(Charge(order: "o-again", cents: 700), source: "/conformance/requester")
        let first = try await rig.requester.request(command, to: rig.endpoint, timeout: h.timeout)
        // The same command again, as a requester retrying after a lost reply would send it.
        let second = try await rig.requester.request(command, to: rig.endpoint, timeout: h.timeout)
        try expectEqual(second.id, first.id, "the same reply, kept with the command's key")
        try expectEqual(second.data, first.data, "with the same data")
        try expectEqual(rig.runs.withLock { $0 }, 1, "the handler ran once")
    }

    static func twoRequestersGetTheirOwnReplies(_ h: ConformanceHarness) async throws {
        let (rig, _) = try await rig(h, "two")
        defer { Task { await rig.stop() } }
        let other = Requester(transports: Transports([h.transport]), source: "/conformance/other")
        defer { Task { await other.close() } }
        let replies = try await withThrowingTaskGroup(of: (String, String).self) { group in
            for n in 0..<10 {
                for (name, requester) in [("a", rig.requester), ("b", other)] {
                    group.addTask {
                        let order = "\(name)-\(n)"
                        return (
                            order, try await requester.request(Charge(order: order, cents: n), to: rig.endpoint, timeout: h.timeout).order
                        )
                    }
                }
            }
            return try await group.reduce(into: [(String, String)]()) { $0.append($1) }
        }
        try expectEqual(replies.count, 20, "every request answered")
        for (asked, answered) in replies { try expectEqual(answered, asked, "each requester gets the reply to its own command") }
        // A command delivered again (at least once) is answered again: a duplicate, not late.
        try expectEqual(rig.requester.lateReplies + other.lateReplies, 0, "no reply went to the wrong requester")
    }
}
