import Ferry

/// Publishes to one topic through the transport's shared producer.
struct KafkaPublisher: Publisher {
    let producer: RDKafkaProducer
    let topic: String

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        var results = [Result<Receipt, FerryError>?](repeating: nil, count: events.count)
        var records: [(eventID: String, record: KafkaRecord)] = []
        var indexes: [Int] = []
        records.reserveCapacity(events.count)
        for (index, event) in events.enumerated() {
            do throws(FerryError) {
                records.append((event.id, try KafkaWireFormat.encode(event)))
                indexes.append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        for (index, result) in zip(indexes, await producer.produce(records, topic: topic)) { results[index] = result }
        return results.map { $0! }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await producer.produce(messages.map { ("", KafkaWireFormat.record($0)) }, topic: topic)
    }

    /// Nothing to flush: every send has already waited for its delivery reports.
    func close() async {}
}
