import Ferry
import Foundation
import Testing

@Suite struct SchemaTests {
    func schema(_ text: String) throws -> JSONSchema {
        try JSONSchema(json: try JSONSerialization.jsonObject(with: Data(text.utf8)), place: "test")
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) }

    let order = """
        {"type":"object","required":["id","lines"],"additionalProperties":false,
         "properties":{"id":{"type":"string"},"state":{"enum":["new","paid"]},
          "lines":{"type":"array","items":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string"},"n":{"type":"integer"}}}}}}
        """

    @Test func validatesTypesRequiredEnumsNestingAndExtras() throws {
        let schema = try schema(order)
        #expect(schema.violations(of: try json(#"{"id":"o1","state":"new","lines":[{"sku":"a","n":2}]}"#)).isEmpty)
        let problems = schema.violations(of: try json(#"{"state":"lost","lines":[{"n":1.5}],"extra":true}"#))
        #expect(problems.contains("$: required property 'id' is missing"))
        #expect(problems.contains { $0.hasPrefix("$.state: \"lost\" is not one of") })
        #expect(problems.contains("$.lines[0]: required property 'sku' is missing"))
        #expect(problems.contains("$.lines[0].n: expected integer, found number"))
        #expect(problems.contains("$: property 'extra' is not allowed"))
        #expect(schema.violations(of: try json("true")) == ["$: expected object, found boolean"])
    }

    /// `accepts` is the fast path the registry takes; it must say yes exactly when there is no
    /// violation (the `schema` fuzz target checks the same on every input).
    @Test func acceptsAgreesWithViolations() throws {
        let schema = try schema(order)
        let documents = [
            #"{"id":"o1","state":"new","lines":[{"sku":"a","n":2}]}"#, #"{"id":"o1","lines":[]}"#,
            #"{"state":"lost","lines":[{"n":1.5}],"extra":true}"#, #"{"id":"o1","lines":[{"sku":"a","n":2.5}]}"#,
            #"{"id":"o1","lines":[{"n":2}]}"#, #"{"id":"o1","lines":{}}"#, #"{"id":"o1","state":"lost","lines":[]}"#,
            #"{"id":"o1","lines":[],"extra":1}"#, #"{"id":"o1","id":2,"lines":[]}"#, "true", "[]", "null",
        ]
        for text in documents {
            let value = try JSONValue(parsing: Data(text.utf8))
            #expect(schema.accepts(value) == schema.violations(of: value).isEmpty, "\(text)")
        }
        #expect(schema.accepts(try JSONValue(parsing: Data(documents[0].utf8))))
        #expect(!schema.accepts(try JSONValue(parsing: Data(documents[3].utf8))))
    }

    @Test func compatibilityModesNameEachBreakingChange() throws {
        let v1 = try schema(#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"state":{"enum":["new","paid"]}}}"#)
        let addOptional = try schema(
            #"{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"state":{"enum":["new","paid"]},"note":{"type":"string"}}}"#
        )
        let addRequired = try schema(
            #"{"type":"object","required":["id","total"],"properties":{"id":{"type":"string"},"total":{"type":"number"}}}"#)
        let narrowEnum = try schema(#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"state":{"enum":["new"]}}}"#)
        let dropRequired = try schema(#"{"type":"object","properties":{"id":{"type":"string"}}}"#)
        #expect(SchemaCompatibility.problems(older: v1, newer: addOptional, mode: .full).isEmpty)
        #expect(
            SchemaCompatibility.problems(older: v1, newer: addRequired, mode: .backward).contains {
                $0.contains("$.total: required but absent from the other version")
            })
        #expect(SchemaCompatibility.problems(older: v1, newer: addRequired, mode: .forward).isEmpty)
        #expect(SchemaCompatibility.problems(older: v1, newer: narrowEnum, mode: .backward).contains { $0.contains("\"paid\"") })
        #expect(
            SchemaCompatibility.problems(older: v1, newer: dropRequired, mode: .forward).contains {
                $0.contains("$.id: required but optional")
            })
        #expect(SchemaCompatibility.problems(older: v1, newer: dropRequired, mode: .backward).isEmpty)
        #expect(SchemaCompatibility.problems(older: v1, newer: addRequired, mode: .disabled).isEmpty)
    }

    @Test func transitiveModesCompareWithEveryEarlierVersion() throws {
        // v2 drops the enum of v1, v3 brings back a narrower one: each step is BACKWARD, v3 vs v1 is not.
        let v1 = try schema(#"{"type":"object","properties":{"state":{"type":"string","enum":["a"]}}}"#)
        let v2 = try schema(#"{"type":"object","properties":{"state":{"type":"string"}}}"#)
        let v3 = try schema(#"{"type":"object","properties":{"state":{"type":"string","enum":["b"]}}}"#)
        var catalog = SchemaCatalog()
        try catalog.register(type: "t", version: 1, schema: v1, mode: .backwardTransitive)
        try catalog.register(type: "t", version: 2, schema: v2)
        let error = #expect(throws: FerryError.self) { try catalog.register(type: "t", version: 3, schema: v3) }
        #expect(error?.message.contains("v3 vs v1") == true, "\(error?.message ?? "")")
        var plain = SchemaCatalog()
        try plain.register(type: "t", version: 1, schema: v1)
        try plain.register(type: "t", version: 2, schema: v2)
        let nonTransitive = #expect(throws: FerryError.self) { try plain.register(type: "t", version: 3, schema: v3) }
        #expect(nonTransitive?.message.contains("v3 vs v2") == true)
        #expect(nonTransitive?.message.contains("v3 vs v1") == false)
    }

    @Test func theShippedCatalogLoadsAndIsCompatible() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/schemas").path
        let catalog = try SchemaCatalog(directory: directory)
        #expect(catalog.latestVersion(of: "com.example.order.placed") == 2)
        #expect(catalog.mode(of: "com.example.order.placed") == .backward)
        #expect(catalog.problems().isEmpty, "\(catalog.problems())")
    }

    @Test func upcastsWithDeclarativeStepsAndWithCode() throws {
        var catalog = SchemaCatalog()
        try catalog.register(
            type: "order", version: 1, schema: try schema(#"{"type":"object","required":["qty"],"properties":{"qty":{"type":"integer"}}}"#))
        try catalog.register(
            type: "order", version: 2,
            schema: try schema(#"{"type":"object","properties":{"quantity":{"type":"integer"},"currency":{"type":"string"}}}"#),
            upcast: [.rename(from: ["qty"], to: ["quantity"]), .add(path: ["currency"], value: .string("EUR"))], mode: .disabled)
        try catalog.register(
            type: "order", version: 3, schema: try schema(#"{"type":"object","required":["quantity","channel"]}"#), mode: .disabled)
        let registry = SchemaRegistry(catalog: catalog)
        registry.register(type: "order", from: 2) { fields in fields.merging(["channel": "web"]) { $1 } }
        let v1 = Event(
            id: "e1", source: "/s", type: "order", datacontenttype: "application/json", dataversion: 1, data: Data(#"{"qty":3}"#.utf8))
        let v3 = try registry.prepare(v1, to: 3)
        #expect(v3.dataversion == 3)
        #expect(v3.dataschema == "order/v3.json")
        #expect(String(decoding: v3.data, as: UTF8.self) == #"{"channel":"web","currency":"EUR","quantity":3}"#)
        #expect(v3.id == v1.id)
    }

    @Test func unknownVersionsBadDataAndMissingUpcastersAreTypedErrors() throws {
        var catalog = SchemaCatalog()
        try catalog.register(type: "order", version: 1, schema: try schema(#"{"type":"object","required":["qty"]}"#))
        try catalog.register(type: "order", version: 2, schema: try schema(#"{"type":"object"}"#))
        let registry = SchemaRegistry(catalog: catalog)
        func event(_ version: Int, _ data: String) -> Event {
            Event(id: "e", source: "/s", type: "order", dataversion: version, data: Data(data.utf8))
        }
        #expect(throws: FerryError.self) { try registry.prepare(event(7, "{}")) }
        let invalid = #expect(throws: FerryError.self) { try registry.prepare(event(1, "{}")) }
        #expect(invalid?.code == .schemaViolation)
        #expect(invalid?.message.contains("'qty' is missing") == true)
        let garbage = #expect(throws: FerryError.self) { try registry.prepare(event(1, "{nope")) }
        #expect(garbage?.code == .payloadDecoding)
        let noPath = #expect(throws: FerryError.self) { try registry.prepare(event(1, #"{"qty":1}"#), to: 2) }
        #expect(noPath?.message.contains("no upcaster from order v1 to v2") == true)
    }
}
