import Ferry

/// Publishes to one topic (and one partition, when the endpoint names it) through the
/// transport's shared producer.
struct KafkaPublisher: Publisher {
    let producer: RDKafkaProducer
    let topic: String
    let partition: Int32

    func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        await EncodedBatch.send(events, encode: KafkaWireFormat.encode) {
            await producer.produce($0.map { ($0.eventID, $0.message) }, topic: topic, partition: partition)
        }
    }

    func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] {
        await producer.produce(messages.map { ("", KafkaWireFormat.record($0)) }, topic: topic, partition: partition)
    }

    /// Nothing to flush: every send has already waited for its delivery reports.
    func close() async {}
}
