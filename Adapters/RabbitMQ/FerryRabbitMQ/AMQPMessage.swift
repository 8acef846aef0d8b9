import Foundation

/// An AMQP 0-9-1 message as Ferry writes and reads it, before it reaches rabbitmq-c.
public struct AMQPMessage: Sendable, Hashable {
    public var contentType: String?
    public var messageID: String?
    /// basic.properties timestamp: seconds since 1970.
    public var timestamp: UInt64?
    public var correlationID: String?
    /// 2 = persistent.
    public var deliveryMode: UInt8
    /// The headers table, values as strings.
    public var headers: [String: String]
    public var body: Data

    public init(
        contentType: String? = nil, messageID: String? = nil, timestamp: UInt64? = nil, correlationID: String? = nil,
        deliveryMode: UInt8 = 2, headers: [String: String] = [:], body: Data
    ) {
        self.contentType = contentType
        self.messageID = messageID
        self.timestamp = timestamp
        self.correlationID = correlationID
        self.deliveryMode = deliveryMode
        self.headers = headers
        self.body = body
    }
}
