import ArgumentParser
import Ferry
import Foundation

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Consume events from an endpoint as a group member and print them.",
        discussion: """
            Each delivery is printed, then acknowledged (unless --no-ack), so a named --group moves on. \
            Without --group, a new group of its own reads from the start. With --json, each line is one \
            JSON object: the event in CloudEvents JSON form under "event", plus "headers", "attempt", \
            "position" and "mode" (binary, structured, plain).
            """
    )

    @Argument(help: "Where to consume from, e.g. redis://127.0.0.1:6379/orders.")
    var endpoint: String

    @Option(help: "The consumer group to join.")
    var group: String?

    @Option(help: "A new group starts at this time: RFC 3339, or a span before now (90s, 15m, 2h, 7d).")
    var from: PointInTime?

    @Option(help: "Stop after this many deliveries.")
    var count: Int?

    @Option(help: "Fail if --count deliveries have not arrived within this many seconds.")
    var timeout: Double?

    @Flag(help: "Print one JSON object per delivery.")
    var json = false

    @Flag(name: .customLong("no-ack"), help: "Leave deliveries unacknowledged (they go back to the group).")
    var noAck = false

    @Option(
        help:
            "Skip (and ack) events already printed, remembered in this idempotency store: memory://, sqlite:///path.db or redis://host:port/prefix."
    )
    var dedup: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if noAck && dedup != nil { throw ValidationError("--dedup acknowledges the events it shows or skips; leave out --no-ack") }
    }

    func run() async throws {
        let (transports, logger) = common.transports()
        let options = SubscribeOptions(
            group: group ?? "ferry-tail-\(UUID().uuidString.prefix(8).lowercased())", start: from.map { .time($0.date) } ?? .earliest)
        let source = try common.endpoint(endpoint)
        let subscription = try await transports.transport(for: source).subscribe(to: source, options: options)
        // Deduplicating goes through the pipeline every consumer uses (same key formula); with
        // no attempt limit, since printing an event cannot fail.
        let pipeline = try dedup.map { url in
            DeliveryPipeline(
                scope: options.group, endpoint: subscription.endpoint, group: options.group,
                options: ConsumerOptions(
                    retry: RetryPolicy(maxAttempts: .max), idempotency: try IdempotencyStores.make(url), retention: .seconds(7 * 24 * 3600)),
                logger: logger)
        }
        let limit = count
        let printed = try await withThrowingTaskGroup(of: Int?.self) { tasks in
            tasks.addTask {
                var printed = 0
                for try await delivery in subscription {
                    if let pipeline {
                        guard case .handle(let ticket) = try await pipeline.admit(delivery) else { continue }
                        Output.line(try render(delivery))
                        _ = try await pipeline.succeeded(ticket)
                    } else {
                        Output.line(try render(delivery))
                        if !noAck { try await delivery.ack() }
                    }
                    printed += 1
                    if let limit, printed >= limit { break }
                }
                return printed
            }
            if let timeout {
                tasks.addTask {
                    try await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                    return nil
                }
            }
            defer { tasks.cancelAll() }
            return try await tasks.next() ?? nil
        }
        await subscription.close()
        await transports.shutdown()
        if printed == nil {
            Output.error("tail: fewer than \(count ?? 0) deliveries within \(timeout ?? 0) s")
            throw ExitCode(1)
        }
    }

    private func render(_ delivery: Delivery) throws -> String {
        let event = delivery.event
        guard json else {
            let preview = String(decoding: event.data.prefix(120), as: UTF8.self)
            return "\(delivery.position) \(event.type) id=\(event.id) attempt=\(delivery.attempt) mode=\(delivery.mode) \(preview)"
        }
        var bare = event
        bare.headers = [:]
        let structured = String(decoding: try StructuredFormat.encode(bare), as: UTF8.self)
        let headers = String(decoding: try JSONSerialization.data(withJSONObject: event.headers, options: .sortedKeys), as: UTF8.self)
        func quoted(_ text: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        }
        return
            #"{"attempt":\#(delivery.attempt),"mode":"\#(delivery.mode)","position":\#(try quoted(delivery.position.description)),"headers":\#(headers),"event":\#(structured)}"#
    }
}
