import Foundation

/// Collects the attributes of one message as they are read off the wire, then checks them
/// and makes the event. Binary mode (headers) and structured mode (JSON members) both use it,
/// so they agree on validation and error messages.
struct EventBuilder {
    private var event: Event
    private var specversion: String?
    private var time: String?
    private var dataversion: String?

    init(data: Data, headers: [String: String]) {
        event = Event(id: "", source: "", type: "", time: nil, headers: headers, data: data)
    }

    /// Sets a known attribute (the data members are ignored: they are not attributes).
    mutating func set(_ attribute: EventAttribute, _ value: String) {
        switch attribute {
        case .id: event.id = value
        case .source: event.source = value
        case .type: event.type = value
        case .specversion: specversion = value
        case .time: time = value
        case .datacontenttype: event.datacontenttype = value
        case .dataschema: event.dataschema = value
        case .subject: event.subject = value
        case .idempotencykey: event.idempotencykey = value
        case .correlationid: event.correlationid = value
        case .causationid: event.causationid = value
        case .partitionkey: event.partitionkey = value
        case .dataversion: dataversion = value
        case .traceparent: event.traceparent = value
        case .tracestate: event.tracestate = value
        case .data, .dataBase64: break
        }
    }

    /// Sets an attribute by name: a known one, else an extension.
    mutating func set(_ name: String, _ value: String) {
        if let attribute = EventAttribute(name: name) { set(attribute, value) } else { setExtension(name, value) }
    }

    /// Sets an extension attribute: `name` is known not to be one of `EventAttribute`'s.
    mutating func setExtension(_ name: String, _ value: String) { event.extensions[name] = value }

    var hasContentType: Bool { event.datacontenttype != nil }

    /// The event, once its required attributes are there and valid; `origin` names the message.
    func build(where origin: () -> String) throws(FerryError) -> Event {
        var event = event
        // Checked one by one, not from an array of pairs: this runs for every event read.
        if specversion?.isEmpty ?? true || event.id.isEmpty || event.source.isEmpty || event.type.isEmpty {
            let name =
                specversion?.isEmpty ?? true ? "specversion" : event.id.isEmpty ? "id" : event.source.isEmpty ? "source" : "type"
            throw FerryError(.malformedEnvelope, "\(origin()): required CloudEvents attribute '\(name)' is missing or empty")
        }
        guard specversion == Event.specVersion else {
            throw FerryError(
                .malformedEnvelope, "\(origin()): CloudEvents specversion '\(specversion ?? "")' is not supported; only 1.0 is")
        }
        if let time {
            guard let micros = RFC3339.parse(time) else {
                throw FerryError(.malformedEnvelope, "\(origin()): attribute 'time' is not an RFC 3339 timestamp: '\(time)'")
            }
            event.timeMicros = micros
        }
        if let dataversion {
            guard let number = Int(dataversion) else {
                throw FerryError(.malformedEnvelope, "\(origin()): attribute 'dataversion' is not an integer: '\(dataversion)'")
            }
            event.dataversion = number
        }
        if event.idempotencykey == event.id { event.idempotencykey = nil }
        return event
    }
}
