/// Publishes events in CloudEvents structured mode, for consumers that expect it (Dapr
/// publishes and reads structured): the whole event as an `application/cloudevents+json` body,
/// free-form headers as the broker's headers, the partition key as the broker's key. Written
/// once for every broker on top of its raw send; an endpoint asks for it with
/// `mode=structured` (default `binary`).
package struct StructuredPublisher: Publisher {
    let inner: any Publisher

    /// `publisher` itself, or wrapped when `endpoint` says `mode=structured`.
    package static func wrapping(_ publisher: any Publisher, for endpoint: Endpoint) throws(FerryError) -> any Publisher {
        switch endpoint.query["mode"] ?? "binary" {
        case "binary": return publisher
        case "structured": return StructuredPublisher(inner: publisher)
        case let other:
            throw FerryError(
                .invalidEndpoint, "endpoint '\(endpoint)': mode '\(other)' is not binary or structured",
                remedy: "mode=binary puts attributes in headers (the default); mode=structured puts the whole event in the body")
        }
    }

    package func send(_ events: [Event]) async -> [Result<Receipt, FerryError>] {
        var results = [Result<Receipt, FerryError>?](repeating: nil, count: events.count)
        var messages: [RawMessage] = []
        var indexes: [Int] = []
        for (index, event) in events.enumerated() {
            do {
                let body = try StructuredFormat.encode(event)
                messages.append(
                    RawMessage(body: body, headers: event.headers, contentType: StructuredFormat.contentType, key: event.partitionkey))
                indexes.append(index)
            } catch {
                results[index] = .failure(error)
            }
        }
        for (index, sent) in zip(indexes, await inner.send(raw: messages)) {
            results[index] = sent.map { Receipt(eventID: events[index].id, position: $0.position) }
        }
        return results.map { $0! }
    }

    package func send(raw messages: [RawMessage]) async -> [Result<Receipt, FerryError>] { await inner.send(raw: messages) }

    package func close() async { await inner.close() }
}
