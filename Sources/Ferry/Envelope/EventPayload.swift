import Foundation

/// A typed event: a Codable payload that names its CloudEvents type and schema version, so
/// `publish(OrderPlaced(...))` and `delivery.decode(OrderPlaced.self)` need nothing else.
public protocol EventPayload: Codable, Sendable {
    static var eventType: String { get }
    static var eventVersion: Int { get }
}

extension EventPayload {
    public static var eventVersion: Int { 1 }
}

extension Event {
    /// An event carrying `payload` as JSON, with its type and `dataversion` set.
    public init<Payload: EventPayload>(
        _ payload: Payload, source: String, id: String? = nil, subject: String? = nil, partitionkey: String? = nil
    ) throws(FerryError) {
        let data: Data
        do {
            data = try Event.jsonEncoder().encode(payload)
        } catch {
            throw FerryError(.invalidEvent, "\(Payload.self) does not encode to JSON: \(error)")
        }
        self.init(
            source: source, type: Payload.eventType, datacontenttype: "application/json", subject: subject,
            partitionkey: partitionkey, dataversion: Payload.eventVersion, data: data)
        if let id { self.id = id }
    }

    /// The payload as `Payload`; the type must match, and so must the version (an event
    /// without `dataversion` counts as version 1).
    public func decode<Payload: EventPayload>(_ type: Payload.Type) throws(FerryError) -> Payload {
        guard self.type == Payload.eventType else {
            throw FerryError(.payloadDecoding, "event \(id) has type '\(self.type)', not '\(Payload.eventType)'")
        }
        let version = dataversion ?? 1
        guard version == Payload.eventVersion else {
            throw FerryError(
                .payloadDecoding,
                "event \(id) of type '\(self.type)' is version \(version); \(Payload.self) reads version \(Payload.eventVersion)")
        }
        do {
            return try Event.jsonDecoder().decode(Payload.self, from: data)
        } catch {
            throw FerryError(.payloadDecoding, "event \(id) of type '\(self.type)' does not decode as \(Payload.self): \(error)")
        }
    }

    /// The payload as `Payload`, upcast first from an older version through `schemas`.
    public func decode<Payload: EventPayload>(_ type: Payload.Type, schemas: SchemaRegistry) throws(FerryError) -> Payload {
        guard self.type == Payload.eventType else {
            throw FerryError(.payloadDecoding, "event \(id) has type '\(self.type)', not '\(Payload.eventType)'")
        }
        return try schemas.prepare(self, to: Payload.eventVersion).decode(type)
    }

    static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
