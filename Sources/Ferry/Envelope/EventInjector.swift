import Instrumentation

/// Writes trace context into an event, under the names the installed tracer chooses:
/// W3C `traceparent`/`tracestate` become the event's attributes, other keys extension
/// attributes when their names allow, else free-form headers. All travel on every broker.
package struct EventInjector: Injector {
    package init() {}

    package func inject(_ value: String, forKey key: String, into event: inout Event) {
        switch key.lowercased() {
        case "traceparent": event.traceparent = value
        case "tracestate": event.tracestate = value
        case let name where EventAttributes.isExtensionName(name) && !EventAttributes.known.contains(name):
            event.extensions[name] = value
        default: event.headers[key] = value
        }
    }
}
