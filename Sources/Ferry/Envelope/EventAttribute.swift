/// A CloudEvents attribute Ferry knows by name: the wire mappings look each header up once
/// instead of comparing names or building an attribute dictionary per message.
package enum EventAttribute: String, CaseIterable, Sendable {
    case id, source, type, specversion, time, datacontenttype, dataschema, subject
    case idempotencykey, correlationid, causationid, partitionkey, dataversion, traceparent, tracestate
    /// Structured mode's data members: never attributes in binary mode, and never extensions.
    case data
    case dataBase64 = "data_base64"

    static let byName: [String: EventAttribute] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// Its place in `allCases`: an index into per-attribute tables, where a dictionary would
    /// hash the attribute for every header of every event.
    var ordinal: Int {
        switch self {
        case .id: 0
        case .source: 1
        case .type: 2
        case .specversion: 3
        case .time: 4
        case .datacontenttype: 5
        case .dataschema: 6
        case .subject: 7
        case .idempotencykey: 8
        case .correlationid: 9
        case .causationid: 10
        case .partitionkey: 11
        case .dataversion: 12
        case .traceparent: 13
        case .tracestate: 14
        case .data: 15
        case .dataBase64: 16
        }
    }
}
