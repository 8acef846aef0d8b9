import Ferry
import FerryConformance
import FerryRabbitMQ
import Foundation
import Testing

/// The local RabbitMQ that scripts/test starts.
let amqpURL = ProcessInfo.processInfo.environment["FERRY_AMQP_URL"]

/// The conformance suite against that broker: each case gets its own topic exchange, and each
/// group its own queue bound to it.
@Suite(.enabled(if: amqpURL != nil, "needs FERRY_AMQP_URL (scripts/test sets it)"))
struct RabbitMQConformanceTests {
    static let harness = ConformanceHarness(
        transport: RabbitMQTransport(), timeout: .seconds(30),
        history: { name in try Endpoint("\(amqpURL!)?exchange=\(name)&routing-key=\(name)&queue=\(name).log&queue-type=stream") }
    ) { name in
        try Endpoint("\(amqpURL!)?exchange=\(name)&routing-key=\(name)")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(Self.harness)
    }
}
