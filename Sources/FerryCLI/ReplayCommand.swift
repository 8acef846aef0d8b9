import ArgumentParser
import Ferry
import Foundation

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish a window of a topic's or stream's history again, to rebuild a projection.",
        discussion: """
            Reads the source from --from (a time, or --from-offset) to the end of what it held when the \
            replay began, without joining a group or moving one, and publishes each event to --to with \
            its id unchanged and the header ferry-replay set to the replay's start time. Events whose \
            time is at or after --until are left out. A plain message goes out as the bytes it came as; \
            one that cannot be decoded is reported and left out (exit status 1). On RabbitMQ the source \
            must be a stream queue (?queue=NAME&queue-type=stream): other queues keep no history.
            Consumers that deduplicate drop events they have handled before: rebuild into a new \
            destination, or read it with a new group.
            """
    )

    @Argument(help: "Where to read history from, e.g. kafka://127.0.0.1:9092/orders.")
    var source: String

    @Option(help: "Start at this time: RFC 3339, or a span before now (90s, 15m, 2h, 7d).")
    var from: PointInTime?

    @Option(name: .customLong("from-offset"), help: "Start at this offset instead (Kafka offset, Redis entry id, stream offset).")
    var fromOffset: String?

    @Option(help: "Leave out events whose time is at or after this one.")
    var until: PointInTime?

    @Option(help: "Publish here, e.g. redis://127.0.0.1:6379/orders-rebuilt.")
    var to: String

    @Option(help: "At most this many events per second.")
    var rate: Double = 1000

    @Option(help: "Report progress every this many seconds (on standard error).")
    var progress: Double = 5

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (from == nil) != (fromOffset == nil) else { throw ValidationError("give one of --from and --from-offset") }
        guard (0.001...1_000_000_000).contains(rate) else { throw ValidationError("--rate must be from 0.001 to 1e9, not \(rate)") }
        guard progress > 0, progress <= 86_400 else { throw ValidationError("--progress must be between 0 and 86400 seconds") }
    }

    func run() async throws {
        let (transports, _) = common.transports()
        let origin = try common.endpoint(source)
        let target = try common.endpoint(to)
        guard let history = try transports.transport(for: origin) as? any Browsable else {
            throw FerryError(.unsupported, "the \(origin.scheme) transport keeps no history to replay")
        }
        let start: SubscribeOptions.Start = from.map { .time($0.date) } ?? .offset(fromOffset ?? "0")
        let publisher = try await transports.publisher(for: target)
        let mark = RFC3339.format(micros: Event.micros(of: Date()))
        var counts = (replayed: 0, later: 0, broken: 0)
        let interval = Duration.microseconds(Int64(1_000_000 / rate))
        var next = ContinuousClock.now
        var report = ContinuousClock.now + .seconds(progress)
        do {
            try await history.history(origin, from: start, limits: MessageLimits()) { browsed in
                let decoded: DecodedEnvelope
                switch browsed.envelope {
                case .success(let envelope): decoded = envelope
                case .failure(let error):
                    Output.error("replay: \(browsed.position): cannot decode it (\(error)); left out")
                    counts.broken += 1
                    return true
                }
                if let until, let time = decoded.event.timeMicros, time >= until.micros {
                    counts.later += 1
                    return true
                }
                try await Task.sleep(until: next, clock: .continuous)
                next = max(next + interval, .now)
                try await DeadLetterPass.send(
                    decoded.event, plain: decoded.mode == .plain, headers: decoded.event.headers.merging([Self.header: mark]) { $1 },
                    with: publisher)
                counts.replayed += 1
                if ContinuousClock.now >= report {
                    Output.error("replay: \(counts.replayed) event(s) so far, at \(browsed.position)")
                    report = .now + .seconds(progress)
                }
                return true
            }
        } catch {
            await publisher.close()
            await transports.shutdown()
            throw error
        }
        await publisher.close()
        await transports.shutdown()
        Output.line(
            "replayed \(counts.replayed) event(s) from \(origin) to \(target)"
                + (counts.later > 0 ? ", left out \(counts.later) at or after --until" : "")
                + (counts.broken > 0 ? ", left out \(counts.broken) that could not be decoded" : ""))
        if counts.broken > 0 { throw ExitCode(1) }
    }

    /// The header that marks a replayed event: the time its replay began.
    static let header = "ferry-replay"
}
