import Instrumentation

/// Reads trace context back from an event, wherever `EventInjector` put it.
package struct EventExtractor: Extractor {
    package init() {}

    package func extract(key: String, from event: Event) -> String? {
        switch key.lowercased() {
        case "traceparent": event.traceparent
        case "tracestate": event.tracestate
        default: event.extensions[key.lowercased()] ?? event.headers[key]
        }
    }
}
