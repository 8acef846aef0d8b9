import Ferry
import Foundation

/// What `/health` says of one relay route.
public struct RouteHealth: Sendable {
    public enum State: String, Sendable {
        /// Subscribing to the source and opening the sinks.
        case starting
        /// Copying.
        case running
        /// Stopped after a graceful shutdown, or the source ended.
        case stopped
        /// `run` threw: `error` says why.
        case failed
    }

    public var state: State
    public var error: String?
    public var pipeline: PipelineHealth

    /// Running, settling what it reads, and not stalled (events waiting while nothing was
    /// settled for a minute).
    public var isHealthy: Bool { state == .running && !pipeline.isFailing && !pipeline.isStalled() }

    /// The route as a JSON object: `status` (ok, failing, stalled, or the state), `lag`,
    /// `last_settled`, `failing_since`, `last_error`.
    public var json: [String: Any] {
        let status: String =
            state != .running
            ? state.rawValue : pipeline.isFailing ? "failing" : pipeline.isStalled() ? "stalled" : "ok"
        var object: [String: Any] = ["status": status]
        let time = ISO8601DateFormatter()
        if let lag = pipeline.lag { object["lag"] = lag }
        if let settled = pipeline.lastSettled { object["last_settled"] = time.string(from: settled) }
        if let since = pipeline.failingSince { object["failing_since"] = time.string(from: since) }
        if let last = error ?? pipeline.lastError { object["last_error"] = last }
        return object
    }
}
