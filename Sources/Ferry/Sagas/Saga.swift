/// A saga (a process manager): steps across services, each a command answered by a reply
/// (`Responder`) or by an event the other service publishes (`SagaAwait`). When a step fails,
/// the steps done so far are undone by their compensating commands, newest first. An event on the saga's start destination begins an instance; its
/// state is kept between replies in a `SagaStore` (`SagaRunner` runs it).
public struct Saga<State: Codable & Sendable>: Sendable {
    /// Names the saga in its store, its commands' source and `ferry saga`.
    public var name: String
    /// The instance an event begins (its id: the correlation key) and the first state; nil
    /// for an event that begins none (it is acked and passed over).
    public var start: @Sendable (Event) throws -> (id: String, state: State)?
    public var steps: [SagaStep<State>]

    public init(
        name: String, start: @escaping @Sendable (Event) throws -> (id: String, state: State)?, steps: [SagaStep<State>]
    ) {
        self.name = name
        self.start = start
        self.steps = steps
    }
}
