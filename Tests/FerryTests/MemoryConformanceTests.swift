import Ferry
import FerryConformance
import Testing

@Suite struct MemoryConformanceTests {
    static let harness = ConformanceHarness(transport: MemoryTransport(), timeout: .seconds(10)) { name in
        try Endpoint("memory://\(name)")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(Self.harness)
    }
}
