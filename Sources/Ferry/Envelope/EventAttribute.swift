/// A CloudEvents attribute Ferry knows by name: the wire mappings look each header up once
/// instead of comparing names or building an attribute dictionary per message.
package enum EventAttribute: String, CaseIterable, Sendable {
    case id, source, type, specversion, time, datacontenttype, dataschema, subject
    case idempotencykey, correlationid, causationid, partitionkey, dataversion, traceparent, tracestate
    /// Structured mode's data members: never attributes in binary mode, and never extensions.
    case data
    case dataBase64 = "data_base64"

    /// The attribute whose name is exactly these bytes: found by length and bytes, where a
    /// dictionary would hash the name of every header of every event.
    init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        guard let first = name.first else { return nil }
        let guess: EventAttribute? =
            switch (name.count, first) {
            case (2, _): .id
            case (4, UInt8(ascii: "d")): .data
            case (4, _): name[1] == UInt8(ascii: "y") ? .type : .time
            case (6, _): .source
            case (7, _): .subject
            case (10, UInt8(ascii: "d")): .dataschema
            case (10, _): .tracestate
            case (11, UInt8(ascii: "s")): .specversion
            case (11, UInt8(ascii: "c")): .causationid
            case (11, UInt8(ascii: "t")): .traceparent
            case (11, _): name[4] == UInt8(ascii: "_") ? .dataBase64 : .dataversion
            case (12, _): .partitionkey
            case (13, _): .correlationid
            case (14, _): .idempotencykey
            case (15, _): .datacontenttype
            default: nil
            }
        guard let guess, guess.rawValue.utf8.withContiguousStorageIfAvailable({ $0.sameBytes(name) }) == true else { return nil }
        self = guess
    }

    /// The attribute named `name`, if any.
    init?(name: String) {
        var name = name
        guard let found = name.withUTF8({ EventAttribute(utf8: $0) }) else { return nil }
        self = found
    }

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
