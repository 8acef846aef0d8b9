import Foundation
import Testing

/// The examples in Examples/, run as `scripts/example` runs them, against the local brokers.
@Suite(.enabled(if: brokerURLs.count == 3, "needs Kafka, RabbitMQ and Redis (scripts/test starts them)"))
struct ExamplesTests {
    @Test func theOrderSagaShipsOneOrderAndCancelsTheOtherAcrossThreeBrokers() async throws {
        let run = try await FerryProcess.run([], program: FerryProcess.built("example-order-saga"), timeout: 180)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("order o-1: completed (receipt-o-1, parcel-o-1)"), "\(run.stdout)")
        #expect(
            lines.contains("order o-2: cancelled, started → inventory done → payment failed → inventory undone"), "\(run.stdout)")
        #expect(lines.contains("payment (RabbitMQ): card declined for o-2"))
        #expect(lines.contains("inventory (Redis): released 3 × book of o-2"))
        #expect(lines.filter { $0.hasPrefix("inventory (Redis): reserved") }.count == 2, "each order's stock reserved once")
        #expect(lines.filter { $0.hasPrefix("shipping (Kafka): sent") } == ["shipping (Kafka): sent 2 × book for o-1"])
        #expect(lines.last == "stock of book: 8 of 10", "the cancelled order's stock is back")
    }
}

extension ExamplesTests {
    @Test func cqrsRebuildsTheReadModelByReplayingTheStream() async throws {
        let run = try await FerryProcess.run([], program: FerryProcess.built("example-cqrs"), timeout: 240)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        for row in [
            "a-1 Ada: 6250 cents after 3 movements", "a-2 Grace: 2000 cents after 2 movements", "a-3 Edsger: 700 cents after 1 movements",
        ] {
            #expect(lines.contains("read model: \(row)"), "\(run.stdout)")
        }
        #expect(lines.contains("rebuilt from scratch by replaying the stream: the same 3 rows"), "\(run.stdout)")
        #expect(lines.contains("write model balances: a-1=6250, a-2=2000, a-3=700"), "the read model agrees with the write model")
    }

    @Test func notificationCallsBackAndStateTransferDoesNot() async throws {
        let run = try await FerryProcess.run([], program: FerryProcess.built("example-notification-vs-state-transfer"), timeout: 180)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("event notification: 3 orders shipped, 3 calls back to the order service") }, "\(run.stdout)")
        #expect(lines.contains("event notification: o-4 cannot ship: the order service did not answer"), "\(run.stdout)")
        #expect(
            lines.contains {
                $0.hasPrefix("event-carried state transfer: 4 orders shipped, 0 calls back")
                    && $0.hasSuffix("the order service down all along")
            }, "\(run.stdout)")
        #expect(lines.contains("event-carried state transfer: shipped 1 × desk of o-4 to 4 Elm St"))
    }
}
