import Foundation

/// The CloudEvents JSON format (`application/cloudevents+json`), as Dapr publishes it.
///
/// JSON data is embedded as it is and read back byte for byte, so a round trip is lossless:
/// other data travels as a string (text types) or as `data_base64`.
public enum StructuredFormat {
    public static let contentType = "application/cloudevents+json"

    public static func isStructured(contentType: String) -> Bool {
        contentType.lowercased().hasPrefix(Self.contentType)
    }

    public static func encode(_ event: Event) throws(FerryError) -> Data {
        var out = "{"
        var first = true
        for (name, value) in try EventAttributes.flatten(event) {
            if !first { out += "," }
            first = false
            out += JSONText.quote(name) + ":"
            out += name == "dataversion" ? value : JSONText.quote(value)
        }
        var body = Data(out.utf8)
        if !event.data.isEmpty {
            if isJSON(event.datacontenttype), JSONText.isEmbeddable(event.data) {
                body.append(contentsOf: ",\"data\":".utf8)
                body.append(event.data)
            } else if event.datacontenttype?.lowercased().hasPrefix("text/") == true,
                let text = String(data: event.data, encoding: .utf8)
            {
                body.append(contentsOf: (",\"data\":" + JSONText.quote(text)).utf8)
            } else {
                body.append(contentsOf: (",\"data_base64\":\"" + event.data.base64EncodedString() + "\"").utf8)
            }
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    public static func decode(_ body: Data, where place: String) throws(FerryError) -> Event {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw FerryError(.malformedEnvelope, "\(place): a structured CloudEvent must be a JSON object")
            }
            object = parsed
        } catch let error as FerryError {
            throw error
        } catch {
            throw FerryError(.malformedEnvelope, "\(place): the structured CloudEvent is not valid JSON (\(error.localizedDescription))")
        }
        var attributes: [String: String] = [:]
        for (name, value) in object where name != "data" && name != "data_base64" {
            switch value {
            case let text as String: attributes[name] = text
            case let number as NSNumber: attributes[name] = number.stringValue
            case is NSNull: continue
            default:
                throw FerryError(.malformedEnvelope, "\(place): attribute '\(name)' must be a string, number or boolean")
            }
        }
        var data = Data()
        if let encoded = object["data_base64"] {
            guard let text = encoded as? String, let bytes = Data(base64Encoded: text) else {
                throw FerryError(.malformedEnvelope, "\(place): 'data_base64' is not valid base64")
            }
            data = bytes
        } else if let value = object["data"], !(value is NSNull) {
            if let text = value as? String, !isJSON(attributes["datacontenttype"]) {
                data = Data(text.utf8)
            } else if let span = JSONText.memberValueSpan(named: "data", in: body) {
                data = body[span]
            }
        }
        return try EventAttributes.build(attributes, data: Data(data), headers: [:], where: place)
    }

    /// True for JSON media types, and for no content type (CloudEvents then implies JSON).
    static func isJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        else { return true }
        return type == "application/json" || type == "text/json" || type.hasSuffix("+json")
    }
}
