import Ferry
import FerryConformance
import FerryRedis
import Foundation
import Testing

/// The local Redis that scripts/test starts.
let redisURL = ProcessInfo.processInfo.environment["FERRY_REDIS_URL"]

/// The conformance suite against that server; pending entries of a departed member are
/// reclaimed after one second.
@Suite(.enabled(if: redisURL != nil, "needs FERRY_REDIS_URL (scripts/test sets it)"))
struct RedisConformanceTests {
    static let harness = ConformanceHarness(transport: RedisTransport(), timeout: .seconds(30)) { name in
        try Endpoint("\(redisURL!)/\(name)?claim-idle=1s")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await testCase.run(Self.harness)
    }
}
