import Foundation

/// The CloudEvents attributes of an event as name → string pairs, and back.
///
/// Binary mode on every broker, and the structured JSON format, are built on this one mapping,
/// so all of them agree on names, validation and error messages.
enum EventAttributes {
    static let known: Set<String> = [
        "id", "source", "type", "specversion", "time", "datacontenttype", "dataschema", "subject",
        "idempotencykey", "correlationid", "causationid", "partitionkey", "dataversion",
        "traceparent", "tracestate", "data", "data_base64",
    ]

    /// The attributes of `event` (not its data or transport headers), checked for sendability.
    static func flatten(_ event: Event) throws(FerryError) -> [(String, String)] {
        for (name, value) in [("id", event.id), ("source", event.source), ("type", event.type)] where value.isEmpty {
            throw FerryError(.invalidEvent, "the event's \(name) is empty", remedy: "CloudEvents requires id, source and type")
        }
        var out: [(String, String)] = [
            ("specversion", event.specversion), ("id", event.id), ("source", event.source), ("type", event.type),
        ]
        func add(_ name: String, _ value: String?) { if let value { out.append((name, value)) } }
        add("time", event.timeMicros.map(RFC3339.format(micros:)))
        add("datacontenttype", event.datacontenttype)
        add("dataschema", event.dataschema)
        add("subject", event.subject)
        add("idempotencykey", event.idempotencyKey)  // always stamped: the id unless the caller gave a key
        add("correlationid", event.correlationid)
        add("causationid", event.causationid)
        add("partitionkey", event.partitionkey)
        add("dataversion", event.dataversion.map(String.init))
        add("traceparent", event.traceparent)
        add("tracestate", event.tracestate)
        for (name, value) in event.extensions.sorted(by: { $0.key < $1.key }) {
            guard isExtensionName(name), !known.contains(name) else {
                throw FerryError(
                    .invalidEvent, "extension attribute '\(name)' of event \(event.id) is not allowed",
                    remedy: "use lower-case ASCII letters and digits, and none of the CloudEvents attribute names; put other metadata in headers")
            }
            out.append((name, value))
        }
        return out
    }

    /// Builds an event from attributes read off the wire; `where` names the message for errors.
    static func build(
        _ attributes: [String: String], data: Data, headers: [String: String], where origin: @autoclosure () -> String
    ) throws(FerryError) -> Event {
        func required(_ name: String) throws(FerryError) -> String {
            guard let value = attributes[name], !value.isEmpty else {
                throw FerryError(.malformedEnvelope, "\(origin()): required CloudEvents attribute '\(name)' is missing or empty")
            }
            return value
        }
        let specversion = try required("specversion")
        guard specversion == Event.specVersion else {
            throw FerryError(.malformedEnvelope, "\(origin()): CloudEvents specversion '\(specversion)' is not supported; only 1.0 is")
        }
        var event = Event(
            id: try required("id"), source: try required("source"), type: try required("type"), time: nil, data: data)
        if let time = attributes["time"] {
            guard let micros = RFC3339.parse(time) else {
                throw FerryError(.malformedEnvelope, "\(origin()): attribute 'time' is not an RFC 3339 timestamp: '\(time)'")
            }
            event.timeMicros = micros
        }
        if let version = attributes["dataversion"] {
            guard let number = Int(version) else {
                throw FerryError(.malformedEnvelope, "\(origin()): attribute 'dataversion' is not an integer: '\(version)'")
            }
            event.dataversion = number
        }
        event.datacontenttype = attributes["datacontenttype"]
        event.dataschema = attributes["dataschema"]
        event.subject = attributes["subject"]
        event.idempotencykey = attributes["idempotencykey"].flatMap { $0 == event.id ? nil : $0 }
        event.correlationid = attributes["correlationid"]
        event.causationid = attributes["causationid"]
        event.partitionkey = attributes["partitionkey"]
        event.traceparent = attributes["traceparent"]
        event.tracestate = attributes["tracestate"]
        for (name, value) in attributes where !known.contains(name) {
            event.extensions[name] = value
        }
        event.headers = headers
        return event
    }

    static func isExtensionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) }
    }
}
