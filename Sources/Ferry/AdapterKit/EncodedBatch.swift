/// How every publisher sends a batch of events: each is encoded for its broker, those that
/// encode go out together, and the results come back one per event, in order (an event that
/// cannot be encoded fails alone).
package enum EncodedBatch {
    package static func send<Message>(
        _ events: [Event], encode: (Event) throws(FerryError) -> Message,
        through send: ([(eventID: String, message: Message)]) async -> [Result<Receipt, FerryError>]
    ) async -> [Result<Receipt, FerryError>] {
        var results = [Result<Receipt, FerryError>?](repeating: nil, count: events.count)
        var indexes: [Int] = []
        var batch: [(eventID: String, message: Message)] = []
        indexes.reserveCapacity(events.count)
        batch.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            do throws(FerryError) {
                batch.append((event.id, try encode(event)))
                indexes.append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        for (index, result) in zip(indexes, await send(batch)) { results[index] = result }
        return results.map { $0! }
    }
}
