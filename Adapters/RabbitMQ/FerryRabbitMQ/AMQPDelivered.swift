/// A message rabbitmq-c handed to a consumer, copied out of the library's buffers.
struct AMQPDelivered: Sendable {
    var deliveryTag: UInt64
    var redelivered: Bool
    var message: AMQPMessage
}
