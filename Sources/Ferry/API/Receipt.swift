/// The broker's confirmation of one published event.
public struct Receipt: Sendable, Hashable {
    public var eventID: String
    public var position: Position

    public init(eventID: String, position: Position) {
        self.eventID = eventID
        self.position = position
    }
}
