import Ferry
import FerryConformance
import Testing

@Suite struct MemoryConformanceTests {
    // As long as on the brokers: the suite's first seconds, with every test starting, are slow.
    static let harness = ConformanceHarness(transport: MemoryTransport(), timeout: .seconds(30)) { name in
        try Endpoint("memory://\(name)")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(Self.harness)
    }
}
