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
            #expect(EventAttribute(utf8: Substring(attribute.rawValue).utf8) == attribute)
            #expect(EventAttribute(utf8: Substring("ce_" + attribute.rawValue).utf8.dropFirst(3)) == attribute)
        }
        for other in ["", "i", "ids", "typo", "tame", "Type", "datacontenttypes", "dataversio_", "data-base64", "partitionkez", "sourcé"] {
            #expect(EventAttribute(utf8: Substring(other).utf8) == nil, "\(other)")
        }
    }

    /// Header names are looked up by `ordinal`: it must be each attribute's place in `allCases`.
    @Test func eachAttributesOrdinalIsItsPlaceInAllCases() {
        for (index, attribute) in EventAttribute.allCases.enumerated() { #expect(attribute.ordinal == index, "\(attribute)") }
    }
}
