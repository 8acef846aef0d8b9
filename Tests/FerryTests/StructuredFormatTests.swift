import Ferry
import FerryConformance
import Foundation
import Testing

@Suite struct StructuredFormatTests {
    @Test(arguments: WireFixtures.all)
    func roundTripIsLossless(_ event: Event) throws {
        var sent = event
        sent.headers = [:]  // transport headers are not part of the JSON body
        let body = try StructuredFormat.encode(sent)
        #expect(try StructuredFormat.decode(body, where: "test") == sent)
    }

    @Test func embedsJSONDataAsJSON() throws {
        let body = try StructuredFormat.encode(WireFixtures.jsonEvent())
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(object["data"] is [String: Any])
        #expect(object["data_base64"] == nil)
        #expect(object["dataversion"] as? Int == 1)
    }

    @Test func readsWhatDaprPublishes() throws {
        let dapr = """
            {"data":{"orderId":7},"datacontenttype":"application/json","id":"5929aaac","pubsubname":"orderpubsub",
             "source":"checkout","specversion":"1.0","topic":"orders","traceid":"00-abc-def-01",
             "traceparent":"00-abc-def-01","tracestate":"","type":"com.dapr.event.sent"}
            """
        let event = try StructuredFormat.decode(Data(dapr.utf8), where: "test")
        #expect(event.id == "5929aaac")
        #expect(event.type == "com.dapr.event.sent")
        #expect(String(decoding: event.data, as: UTF8.self) == #"{"orderId":7}"#)
        #expect(event.extensions["pubsubname"] == "orderpubsub")
        #expect(event.traceparent == "00-abc-def-01")
    }

    @Test func textDataTravelsAsAString() throws {
        let event = Event(id: "t1", source: "/s", type: "t", time: nil, datacontenttype: "text/plain", data: Data("héllo".utf8))
        let body = try StructuredFormat.encode(event)
        #expect(String(decoding: body, as: UTF8.self).contains(#""data":"héllo""#))
        #expect(try StructuredFormat.decode(body, where: "test") == event)
    }

    @Test(arguments: [
        ("[1,2]", "JSON object"),
        ("{not json", "not valid JSON"),
        (#"{"specversion":"1.0","source":"/s","type":"t"}"#, "'id'"),
        (#"{"specversion":"0.3","id":"1","source":"/s","type":"t"}"#, "specversion '0.3'"),
        (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"@@@"}"#, "base64"),
        (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","dataversion":"two"}"#, "'dataversion'"),
        (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","subject":{"a":1}}"#, "'subject'"),
    ])
    func malformedInputIsATypedError(_ input: String, _ mentions: String) {
        let error = #expect(throws: FerryError.self) { try StructuredFormat.decode(Data(input.utf8), where: "msg 9") }
        #expect(error?.code == .malformedEnvelope)
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("msg 9") == true)
    }
}
