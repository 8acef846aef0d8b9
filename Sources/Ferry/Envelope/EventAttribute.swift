/// A CloudEvents attribute Ferry knows by name: the wire mappings look each header up once
/// instead of comparing names or building an attribute dictionary per message.
package enum EventAttribute: String, CaseIterable, Sendable {
    case id, source, type, specversion, time, datacontenttype, dataschema, subject
    case idempotencykey, correlationid, causationid, partitionkey, dataversion, traceparent, tracestate
    /// Structured mode's data members: never attributes in binary mode, and never extensions.
    case data
    case dataBase64 = "data_base64"

    static let byName: [String: EventAttribute] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}
