/// A saga (a process manager): steps across services, each a command answered by a reply
/// (`Responder`). When a step fails, the steps done so far are undone by their compensating
/// commands, newest first. An event on the saga's start destination begins an instance; its
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

/// One step of a saga: the command that carries it out, what its reply changes in the state,
/// and the command that undoes it if a later step fails.
public struct SagaStep<State: Codable & Sendable>: Sendable {
    public var name: String
    public var destination: Endpoint
    public var command: @Sendable (State) throws -> Event
    /// Takes the step's reply into the state.
    public var done: @Sendable (inout State, Event) throws -> Void
    /// Where the undoing command goes, and the command; nil: nothing to undo.
    public var compensation: (destination: Endpoint, command: @Sendable (State) throws -> Event)?
    /// A step not answered within this fails (code `timeout`), and the steps before it are
    /// undone. The timer is an event on the saga's start destination, held back by the broker's
    /// delayed retry: it fires whichever process of the saga is running then.
    public var timeout: Duration?

    public init(
        _ name: String, to destination: Endpoint, command: @escaping @Sendable (State) throws -> Event,
        done: @escaping @Sendable (inout State, Event) throws -> Void = { _, _ in },
        compensation: (destination: Endpoint, command: @Sendable (State) throws -> Event)? = nil, timeout: Duration? = nil
    ) {
        self.name = name
        self.destination = destination
        self.command = command
        self.done = done
        self.compensation = compensation
        self.timeout = timeout
    }

    /// A step sending a typed command, its typed reply taken into the state.
    public static func sending<C: Command>(
        _ name: String, _ type: C.Type, to destination: Endpoint, _ make: @escaping @Sendable (State) throws -> C,
        done: @escaping @Sendable (inout State, C.Reply) throws -> Void = { _, _ in },
        compensation: (destination: Endpoint, command: @Sendable (State) throws -> Event)? = nil, timeout: Duration? = nil
    ) -> SagaStep {
        SagaStep(
            name, to: destination, command: { try Event(try make($0), source: "ferry:saga") },
            done: { state, reply in try done(&state, try reply.decode(C.Reply.self)) }, compensation: compensation,
            timeout: timeout)
    }
}
