/// A command: a request addressed to one handler, whose sender waits to learn the outcome
/// (`Requester.request`), unlike an event, which its publisher fires and forgets. The handler
/// (`Responder`) answers with a `Reply`, or refuses with a `CommandFailure`.
public protocol Command: EventPayload {
    associatedtype Reply: EventPayload
}
