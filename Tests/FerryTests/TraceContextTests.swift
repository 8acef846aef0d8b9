import Ferry
import FerryConformance
import Foundation
import InMemoryTracing
import Instrumentation
import Logging
import Testing
import Tracing

/// Trace context and correlation travel from an event, through a Consumer, into the events its
/// handler publishes. (The in-memory tracer is installed once for the whole test process.)
@Suite struct TraceContextTests {
    static let tracer: InMemoryTracer = {
        let tracer = InMemoryTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    @Test func aHandlersEventsContinueTheTraceAndTheCorrelation() async throws {
        let tracer = Self.tracer
        let transport = MemoryTransport()
        let orders = try Endpoint("memory://traced-orders")
        let shipments = try Endpoint("memory://traced-shipments")
        let subscription = try await transport.subscribe(to: orders, options: SubscribeOptions(group: "shipping"))
        let ordersOut = try await transport.makePublisher(for: orders)
        let shipmentsOut = try await transport.makePublisher(for: shipments)
        let placed = Event(source: "/shop", type: "order.placed")
        let traceID = try await withSpan("checkout", ofKind: .producer) { span in
            _ = try await ordersOut.publish(placed)
            return span.context.inMemorySpanContext!.traceID
        }
        let consumer = Consumer(subscription: subscription, logger: Logger(label: "test")) { delivery in
            var shipped = Event(source: "/shipping", type: "order.shipped")
            shipped.correlate(with: delivery.event)
            _ = try await shipmentsOut.publish(shipped)
        }
        let delivery = try await subscription.take(1, within: .seconds(5), "the order")[0]
        #expect(delivery.event.headers[InMemoryTracer.traceIDKey] == traceID, "the producer's trace travelled with the event")
        #expect(try await consumer.process(delivery) == .handled)

        let reader = try await transport.subscribe(to: shipments, options: SubscribeOptions(group: "audit"))
        let shipped = try await reader.take(1, within: .seconds(5), "the shipment")[0].event
        #expect(shipped.headers[InMemoryTracer.traceIDKey] == traceID, "the handler's event continues the trace")
        #expect(shipped.correlationid == placed.id)
        #expect(shipped.causationid == placed.id)
        let span = tracer.finishedSpans.first { $0.operationName == "process order.placed" }
        #expect(span?.kind == .consumer)
        #expect(span?.context.inMemorySpanContext?.traceID == traceID)
    }
}

@Suite struct EventCarrierTests {
    @Test func w3cKeysBecomeAttributesAndOthersTravelToo() {
        var event = Event(source: "/s", type: "t")
        let injector = EventInjector()
        injector.inject("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", forKey: "traceparent", into: &event)
        injector.inject("vendor=1", forKey: "tracestate", into: &event)
        injector.inject("abc", forKey: "baggage", into: &event)
        injector.inject("123", forKey: "X-B3-TraceId", into: &event)
        #expect(event.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        #expect(event.tracestate == "vendor=1")
        #expect(event.extensions["baggage"] == "abc")
        #expect(event.headers["X-B3-TraceId"] == "123")
        let extractor = EventExtractor()
        for key in ["traceparent", "tracestate", "baggage", "X-B3-TraceId"] {
            #expect(extractor.extract(key: key, from: event) != nil, "\(key)")
        }
    }
}
