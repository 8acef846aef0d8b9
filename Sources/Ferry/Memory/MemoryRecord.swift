import Foundation

/// A message as the in-memory backend stores it: the same shape as a Kafka record, so the
/// envelope really is encoded and decoded, and malformed messages exist here too.
struct MemoryRecord: Sendable {
    var key: String?
    var headers: [String: String]
    var contentType: String?
    var body: Data
    var timeMicros: Int64
}
