/// Travels through librdkafka as a produced record's opaque pointer, back to its batch.
final class DeliveryTicket: Sendable {
    let batch: DeliveryBatch
    let index: Int
    let eventID: String
    let topic: String

    init(batch: DeliveryBatch, index: Int, eventID: String, topic: String) {
        self.batch = batch
        self.index = index
        self.eventID = eventID
        self.topic = topic
    }
}
