/// One step of a saga: the command that carries it out, what its outcome (a reply, or an event
/// of `awaiting`) changes in the state, and the command that undoes it if a later step fails.
public struct SagaStep<State: Codable & Sendable>: Sendable {
    public var name: String
    public var destination: Endpoint
    public var command: @Sendable (State) throws -> Event
    /// Takes the step's reply (or awaited event) into the state.
    public var done: @Sendable (inout State, Event) throws -> Void
    /// Where the undoing command goes, and the command; nil: nothing to undo.
    public var compensation: (destination: Endpoint, command: @Sendable (State) throws -> Event)?
    /// A step not answered within this fails (code `timeout`), and the steps before it are
    /// undone. The timer is an event on the saga's start destination, held back by the broker's
    /// delayed retry: it fires whichever process of the saga is running then.
    public var timeout: Duration?
    /// nil: the outcome is the reply to the command. Otherwise an event another service
    /// publishes, and the command is sent without a reply address.
    public var awaiting: SagaAwait?

    public init(
        _ name: String, to destination: Endpoint, command: @escaping @Sendable (State) throws -> Event,
        done: @escaping @Sendable (inout State, Event) throws -> Void = { _, _ in },
        compensation: (destination: Endpoint, command: @Sendable (State) throws -> Event)? = nil, timeout: Duration? = nil,
        awaiting: SagaAwait? = nil
    ) {
        self.name = name
        self.destination = destination
        self.command = command
        self.done = done
        self.compensation = compensation
        self.timeout = timeout
        self.awaiting = awaiting
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
