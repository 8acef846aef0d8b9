import Foundation

/// One saga instance as its store keeps it: the state (the saga's own `Codable` type, as JSON),
/// where it stands, what it has handled, and a version that every save must name
/// (optimistic concurrency: two processes handling inputs of one instance cannot both win).
public struct SagaRecord: Sendable, Hashable, Codable {
    /// The saga's name and the instance's id (its correlation key).
    public var saga: String
    public var id: String
    /// 1 for the first save, one more for each after it.
    public var version: Int
    public var status: SagaStatus
    /// The step the instance is at (its index in the saga's steps), or compensating from.
    public var step: Int
    public var state: Data
    /// The ids of the inputs applied, the newest last (at most `handledLimit`): an input
    /// delivered again is recognised and not applied twice.
    public var handled: [String]
    /// What happened to the instance, the newest last (at most `historyLimit` entries).
    public var history: [SagaHistoryEntry]
    /// Microseconds since 1970 of the last save.
    public var updatedMicros: Int64

    public init(
        saga: String, id: String, version: Int = 0, status: SagaStatus = .running, step: Int = 0, state: Data,
        handled: [String] = [], history: [SagaHistoryEntry] = [], updatedMicros: Int64 = Event.micros(of: Date())
    ) {
        self.saga = saga
        self.id = id
        self.version = version
        self.status = status
        self.step = step
        self.state = state
        self.handled = handled
        self.history = history
        self.updatedMicros = updatedMicros
    }

    static let handledLimit = 256
    static let historyLimit = 100

    /// Notes `input` as applied and `what` in the history, keeping both bounded.
    package mutating func record(_ input: Event, _ what: String) {
        handled.append(input.id)
        if handled.count > Self.handledLimit { handled.removeFirst(handled.count - Self.handledLimit) }
        history.append(SagaHistoryEntry(micros: Event.micros(of: Date()), input: input.type, inputID: input.id, what: what))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }
}

/// Where a saga instance stands.
public enum SagaStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Steps are being carried out.
    case running
    /// A step failed: the finished steps are being undone, newest first.
    case compensating
    /// Every step succeeded.
    case completed
    /// A step failed and every finished step was undone.
    case compensated

    public var isFinished: Bool { self == .completed || self == .compensated }
}

/// One line of a saga instance's history.
public struct SagaHistoryEntry: Sendable, Hashable, Codable {
    public var micros: Int64
    /// The type and id of the input that led to it.
    public var input: String
    public var inputID: String
    public var what: String
}
