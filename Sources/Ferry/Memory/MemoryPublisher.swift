import Foundation

/// Appends to one in-memory topic; the append is the broker's confirmation.
struct MemoryPublisher: Publisher {
    let transport: MemoryTransport
    let topic: String
    let partitions: Int

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        let now = Event.micros(of: Date())
        return events.map { event in
            Result { () throws(FerryError) in
                let record = try MemoryWireFormat.encode(event, now: now)
                return Receipt(eventID: event.id, position: transport.append(record, to: topic, partitions: partitions))
            }
        }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        let now = Event.micros(of: Date())
        return messages.map { message in
            let position = transport.append(MemoryWireFormat.record(message, now: now), to: topic, partitions: partitions)
            return .success(Receipt(eventID: "", position: position))
        }
    }

    func close() async {}
}
