import Ferry
import Foundation
import Testing

/// When `/health` calls a consumer or route stalled.
@Suite struct PipelineHealthTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test func aRouteThatHasJustStartedOnABacklogIsNotStalled() {
        var health = PipelineHealth(started: start)
        health.lag = 30
        #expect(!health.isStalled(now: start.addingTimeInterval(5)))
        #expect(health.isStalled(now: start.addingTimeInterval(61)), "nothing settled for a minute since the start")
    }

    @Test func stalledOnlyWhileEventsWaitAndNothingIsSettled() {
        var health = PipelineHealth(started: start)
        health.lastSettled = start.addingTimeInterval(100)
        health.lag = 0
        #expect(!health.isStalled(now: start.addingTimeInterval(1000)), "nothing waits")
        health.lag = nil
        #expect(!health.isStalled(now: start.addingTimeInterval(1000)), "lag not measured yet")
        health.lag = 5
        #expect(!health.isStalled(now: start.addingTimeInterval(150)))
        #expect(health.isStalled(now: start.addingTimeInterval(161)))
    }
}
