import Ferry
import FerryConformance
import FerryKafka
import Foundation
import Testing

/// The local Kafka-protocol broker that scripts/test starts.
let kafkaURL = ProcessInfo.processInfo.environment["FERRY_KAFKA_URL"]

/// The conformance suite against that broker.
@Suite(.enabled(if: kafkaURL != nil, "needs FERRY_KAFKA_URL (scripts/test sets it)"))
struct KafkaConformanceTests {
    static let harness = ConformanceHarness(transport: KafkaTransport(), timeout: .seconds(30)) { name in
        try Endpoint("\(kafkaURL!)/\(name)")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(Self.harness)
    }
}
