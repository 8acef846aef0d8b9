import Foundation
import Testing

@testable import Ferry

@Suite struct JSONValueTests {
    @Test func readsAndWritesBackTheSameText() throws {
        let text = #"{"orderID":"o-1","qty":3,"price":12.50,"tags":["a","b"],"gift":false,"note":null,"nested":{"x":-1.5e3}}"#
        let value = try JSONValue(parsing: Data(text.utf8))
        #expect(String(decoding: value.data, as: UTF8.self) == text)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object["qty"] == .number("3"))
        #expect(object["orderID"] == .string("o-1"))
        #expect(value.canonical.hasPrefix(#"{"gift":false,"nested":{"x":-1500},"note":null,"orderID":"o-1","price":12.5"#))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue(parsing: Data(#"["a\"b\\c\/d\n\u00e9\ud83d\ude00"]"#.utf8))
        #expect(value == .array([.string("a\"b\\c/d\né😀")]))
        #expect(String(decoding: value.data, as: UTF8.self) == #"["a\"b\\c/d\né😀"]"#)
    }

    @Test func badTextNamesTheByte() {
        for (text, problem) in [
            ("{\"a\":}", "at byte 5"), ("[1,2", "at byte 4"), ("01", "at byte 1"), ("\"x", "unterminated"), ("{} x", "after the document"),
        ] {
            #expect(throws: FerryError.self, "\(text)") { try JSONValue(parsing: Data(text.utf8)) }
            do { _ = try JSONValue(parsing: Data(text.utf8)) } catch {
                #expect(error.message.contains(problem), "\(text): \(error.message)")
            }
        }
    }

    /// A task's stack is small: the deepest document the parser accepts is parsed, compared,
    /// validated and written back on one, and one level more is refused, not followed.
    @Test func theDeepestAcceptedDocumentFitsATasksStack() async throws {
        func nested(_ depth: Int) -> Data {
            Data((String(repeating: #"{"a":["#, count: depth / 2) + "1" + String(repeating: "]}", count: depth / 2)).utf8)
        }
        let value = try await Task { try JSONValue(parsing: nested(512)) }.value
        let schema = try JSONSchema(json: [String: Any](), place: "t")
        #expect(await Task { value == value && schema.violations(of: value).isEmpty }.value)
        #expect(await Task { value.data == nested(512) }.value)
        #expect(throws: FerryError.self) { try JSONValue(parsing: nested(514)) }
    }

    @Test func convertsFromAndToFoundationObjects() throws {
        let any = try JSONSerialization.jsonObject(with: Data(#"{"b":true,"a":[1,2.5,"x",null]}"#.utf8))
        let value = JSONValue(any: any)
        #expect(String(decoding: value.data, as: UTF8.self) == #"{"a":[1,2.5,"x",null],"b":true}"#)
        let back = try #require(value.any as? [String: Any])
        #expect(back["b"] as? Bool == true)
    }
}
