import Foundation

/// A CloudEvents 1.0 event: the one envelope Ferry moves over every broker.
///
/// Ferry's extension attributes (`idempotencykey`, `correlationid`, `causationid`,
/// `partitionkey`, `dataversion`, `traceparent`, `tracestate`) are typed properties because the
/// library acts on them; other extension attributes live in `extensions`. `headers` are
/// transport headers that are not CloudEvents attributes (a plain producer's headers, the
/// dead-letter headers) and travel verbatim.
public struct Event: Sendable, Hashable {
    public var id: String
    public var source: String
    public var type: String
    public var specversion: String
    /// Microseconds since 1970 in UTC: the wire carries microseconds, so the envelope does too,
    /// and encoding then decoding gives back an equal event.
    public var timeMicros: Int64?
    public var datacontenttype: String?
    public var dataschema: String?
    public var subject: String?
    /// Set only when it differs from `id`. Duplicates are recognised by this key, else by
    /// `source` and `id`.
    public var idempotencykey: String?
    public var correlationid: String?
    public var causationid: String?
    public var partitionkey: String?
    public var dataversion: Int?
    public var traceparent: String?
    public var tracestate: String?
    /// Further CloudEvents extension attributes: lower-case ASCII letters and digits only.
    public var extensions: [String: String]
    public var headers: [String: String]
    public var data: Data

    public init(
        id: String = EventID.make(),
        source: String,
        type: String,
        time: Date? = Date(),
        datacontenttype: String? = nil,
        dataschema: String? = nil,
        subject: String? = nil,
        idempotencykey: String? = nil,
        correlationid: String? = nil,
        causationid: String? = nil,
        partitionkey: String? = nil,
        dataversion: Int? = nil,
        extensions: [String: String] = [:],
        headers: [String: String] = [:],
        data: Data = Data()
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.specversion = Event.specVersion
        self.timeMicros = time.map(Event.micros(of:))
        self.datacontenttype = datacontenttype
        self.dataschema = dataschema
        self.subject = subject
        self.idempotencykey = idempotencykey
        self.correlationid = correlationid
        self.causationid = causationid
        self.partitionkey = partitionkey
        self.dataversion = dataversion
        self.extensions = extensions
        self.headers = headers
        self.data = data
    }

    public static let specVersion = "1.0"
    /// The type given to a message that carried no CloudEvents attributes at all.
    public static let plainType = "ferry.plain"

    public var time: Date? {
        get { timeMicros.map { Date(timeIntervalSince1970: Double($0) / 1_000_000) } }
        set { timeMicros = newValue.map(Event.micros(of:)) }
    }

    /// Makes this event a consequence of `cause`: same correlation id (the cause's, or its id
    /// when it starts the chain), and the cause's id as causation id.
    public mutating func correlate(with cause: Event) {
        correlationid = cause.correlationid ?? cause.id
        causationid = cause.id
    }

    /// A date beyond what 64 bits of microseconds hold is clamped to the nearest end (and a NaN
    /// one, which no `Date` API makes, is 0): never a trap.
    public static func micros(of date: Date) -> Int64 {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        if micros >= 0x1p63 { return .max }
        if micros <= -0x1p63 { return .min }
        return micros.isNaN ? 0 : Int64(micros)
    }
}
