import Foundation

/// An AMQP 0-9-1 message as Ferry writes and reads it, before it reaches rabbitmq-c.
package struct AMQPMessage: Sendable, Hashable {
    package var contentType: String?
    package var messageID: String?
    /// basic.properties timestamp: seconds since 1970.
    package var timestamp: UInt64?
    package var correlationID: String?
    /// 2 = persistent.
    package var deliveryMode: UInt8
    /// The headers table, values as strings.
    package var headers: [String: String]
    package var body: Data
    /// How deep tables and arrays nested in the headers table as received; 0 when flat.
    package var nesting = 0

    package init(
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
