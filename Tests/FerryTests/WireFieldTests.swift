import Foundation
import Testing

@testable import Ferry

@Suite struct WireFieldTests {
    @Test func textAndBytesRoundTripAndInvalidUTF8IsRepaired() {
        for text in ["", "ce_id", "01930c2e-0001-7d29-937d-add7d88e27eb", "grüße, 東京 🚚", String(repeating: "x", count: 5000)] {
            let field = WireField(name: "h", text: text)
            #expect(field.value == Data(text.utf8))
            #expect(field.text == text)
        }
        #expect(WireField.text(Data([0x61, 0xFF, 0x62])) == "a\u{FFFD}b")
    }

    @Test func attributesAreFoundByExactName() {
        for attribute in EventAttribute.allCases {
            #expect(EventAttribute(name: attribute.rawValue) == attribute)
            let prefixed = Array(("ce_" + attribute.rawValue).utf8)
            #expect(prefixed.withUnsafeBufferPointer { EventAttribute(utf8: UnsafeBufferPointer(rebasing: $0[3...])) } == attribute)
        }
        for other in ["", "i", "ids", "typo", "tame", "Type", "datacontenttypes", "dataversio_", "data-base64", "partitionkez", "sourcé"] {
            #expect(EventAttribute(name: other) == nil, "\(other)")
        }
    }

    /// A long attribute name read from the wire is the binding's own string (the same storage
    /// each time: no allocation per message); any other name is its exact text.
    @Test func headerNamesReadFromTheWireReuseTheAttributeNames() {
        for prefix in ["ce_", "cloudEvents:"] {
            let binding = HeaderBinding(prefix: prefix)
            func read(_ name: String) -> String { Array(name.utf8).withUnsafeBufferPointer { binding.headerName(utf8: $0) } }
            func storage(_ name: String) -> UnsafePointer<UInt8>? { name.utf8.withContiguousStorageIfAvailable { $0.baseAddress } ?? nil }
            for attribute in EventAttribute.allCases {
                let name = prefix + attribute.rawValue
                #expect(read(name) == name)
                if name.utf8.count > 15 {
                    let (first, second) = (read(name), read(name))  // both alive: two allocations could not share an address
                    #expect(storage(first) == storage(second), "\(name)")
                }
            }
            for other in [
                "", "x", prefix, prefix + "datacontenttypes", prefix + "datacontentType", "xx_datacontenttype", prefix + "größe-und-länge",
            ] {
                #expect(read(other) == other)
            }
        }
    }

    /// Binary mode sorts headers by their bytes: attributes under the prefix, extensions under
    /// it, everything else a plain header (a name that only shares part of the prefix too). The
    /// field the transport reads elsewhere is left out, and its own key wins over the header.
    @Test func binaryHeadersAreSortedIntoAttributesExtensionsAndPlainHeaders() throws {
        let binding = HeaderBinding(prefix: "ce_")
        let fields = [
            ("ce_specversion", "1.0"), ("ce_id", "e-1"), ("ce_source", "/s"), ("ce_type", "t.v1"), ("ce_tenant", "acme"),
            ("ce_", "empty"), ("c", "short"), ("cf_id", "near"), ("Ce_id", "case"), ("trace", "x"),
            ("ce_größe", "wide"), ("content-type", "text/plain"), ("ce_partitionkey", "from-header"),
        ].map { WireField(name: $0.0, text: $0.1) }
        let decoded = try binding.decodeBinary(
            fields, skipping: "content-type", partitionKey: "from-key", data: Data("{}".utf8), contentType: "application/json",
            origin: PlainOrigin(id: "p", source: "/o"))
        #expect(decoded.mode == .binary)
        #expect(decoded.event.id == "e-1")
        #expect(decoded.event.source == "/s")
        #expect(decoded.event.type == "t.v1")
        #expect(decoded.event.partitionkey == "from-key")
        #expect(decoded.event.datacontenttype == "application/json")
        #expect(decoded.event.extensions == ["tenant": "acme", "": "empty", "größe": "wide"])
        #expect(decoded.event.headers == ["c": "short", "cf_id": "near", "Ce_id": "case", "trace": "x"])
        let keyless = try binding.decodeBinary(
            fields, skipping: "content-type", data: Data("{}".utf8), contentType: nil, origin: PlainOrigin(id: "p", source: "/o"))
        #expect(keyless.event.partitionkey == "from-header")
        #expect(keyless.event.datacontenttype == nil)
    }

    /// Header names are compared by their bytes, prefixes included.
    @Test func bytePrefixesAndEqualityAreExact() {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        func check(_ a: String, _ b: String) -> (same: Bool, prefix: Bool) {
            bytes(a).withUnsafeBufferPointer { a in bytes(b).withUnsafeBufferPointer { b in (a.sameBytes(b), a.hasBytePrefix(b)) } }
        }
        #expect(check("", "") == (true, true))
        #expect(check("ce_id", "ce_") == (false, true))
        #expect(check("ce_", "ce_id") == (false, false))
        #expect(check("ce_id", "ce_id") == (true, true))
        #expect(check("cf_id", "ce_") == (false, false))
        #expect(check("abc", "") == (false, true))
    }

    /// Header names are looked up by `ordinal`: it must be each attribute's place in `allCases`.
    @Test func eachAttributesOrdinalIsItsPlaceInAllCases() {
        for (index, attribute) in EventAttribute.allCases.enumerated() { #expect(attribute.ordinal == index, "\(attribute)") }
    }
}
