import Foundation

/// The CloudEvents attributes of an event as name → string pairs, and back.
///
/// Binary mode on every broker, and the structured JSON format, are built on this one mapping,
/// so all of them agree on names, validation and error messages.
enum EventAttributes {
    static let known = Set(EventAttribute.allCases.map(\.rawValue))

    /// The attributes of `event` (not its data or transport headers), checked for sendability.
    static func flatten(_ event: Event) throws(FerryError) -> [(String, String)] {
        var out: [(String, String)] = []
        try forEach(event) { _, name, value in out.append((name, value)) }
        return out
    }

    /// Calls `body` with each attribute of `event` in a fixed order: the known attribute (nil for
    /// an extension), its name and its value.
    static func forEach(_ event: Event, _ body: (EventAttribute?, String, String) -> Void) throws(FerryError) {
        if event.id.isEmpty || event.source.isEmpty || event.type.isEmpty {
            let name = event.id.isEmpty ? "id" : event.source.isEmpty ? "source" : "type"
            throw FerryError(.invalidEvent, "the event's \(name) is empty", remedy: "CloudEvents requires id, source and type")
        }
        func add(_ attribute: EventAttribute, _ value: String?) { if let value { body(attribute, attribute.rawValue, value) } }
        add(.specversion, event.specversion)
        add(.id, event.id)
        add(.source, event.source)
        add(.type, event.type)
        add(.time, event.timeMicros.map(RFC3339.format(micros:)))
        add(.datacontenttype, event.datacontenttype)
        add(.dataschema, event.dataschema)
        add(.subject, event.subject)
        add(.idempotencykey, event.idempotencykey ?? event.id)  // always stamped: the id unless the caller gave a key
        add(.correlationid, event.correlationid)
        add(.causationid, event.causationid)
        add(.partitionkey, event.partitionkey)
        add(.dataversion, event.dataversion.map(String.init))
        add(.traceparent, event.traceparent)
        add(.tracestate, event.tracestate)
        guard !event.extensions.isEmpty else { return }
        for (name, value) in event.extensions.sorted(by: { $0.key < $1.key }) {
            guard isExtensionName(name), !known.contains(name) else {
                throw FerryError(
                    .invalidEvent, "extension attribute '\(name)' of event \(event.id) is not allowed",
                    remedy:
                        "use lower-case ASCII letters and digits, and none of the CloudEvents attribute names; put other metadata in headers"
                )
            }
            body(nil, name, value)
        }
    }

    /// Builds an event from attributes read off the wire; `where` names the message for errors.
    static func build(
        _ attributes: [String: String], data: Data, headers: [String: String], where origin: @autoclosure () -> String
    ) throws(FerryError) -> Event {
        var builder = EventBuilder(data: data, headers: headers)
        for (name, value) in attributes { builder.set(name, value) }
        return try builder.build(where: origin)
    }

    static func isExtensionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) }
    }
}
