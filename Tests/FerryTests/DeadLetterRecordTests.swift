import Ferry
import Foundation
import Testing

@Suite struct DeadLetterRecordTests {
    @Test func headersRoundTrip() throws {
        let record = DeadLetterRecord(
            reason: DeadLetterReason(.retriesExhausted, "gave up after 5 attempts: timeout"), attempts: 5,
            firstFailure: Date(timeIntervalSince1970: 1_764_000_000), lastFailure: Date(timeIntervalSince1970: 1_764_000_060),
            endpoint: "kafka://127.0.0.1:9092/orders", position: Position(destination: "orders", partition: 2, offset: "41"))
        let read = try #require(DeadLetterRecord(headers: record.headers.merging(["other": "x"]) { $1 }))
        #expect(read == record)
        #expect(record.headers[DeadLetterRecord.Header.reason] == "retries-exhausted")
        #expect(DeadLetterRecord.removing(from: record.headers.merging(["other": "x"]) { $1 }) == ["other": "x"])
    }

    @Test func aReplayedLetterKeepsItsPastInTheHistoryHeader() {
        func letter(_ code: DeadLetterReason.Code, attempts: Int, offset: String) -> [String: String] {
            DeadLetterRecord(
                reason: DeadLetterReason(code, "x"), attempts: attempts, endpoint: "memory://orders",
                position: Position(destination: "orders", partition: 0, offset: offset)
            ).headers
        }
        let once = DeadLetterRecord.replayed(letter(.handler, attempts: 1, offset: "3").merging(["other": "x"]) { $1 })
        #expect(once["other"] == "x")
        #expect(DeadLetterRecord(headers: once) == nil, "no dead-letter record left on the replayed event")
        #expect(once[DeadLetterRecord.Header.history]?.hasPrefix("handler@1@orders/0@3@") == true)
        let twice = DeadLetterRecord.replayed(letter(.crashed, attempts: 4, offset: "9").merging(once) { new, _ in new })
        let entries = twice[DeadLetterRecord.Header.history]?.components(separatedBy: "; ") ?? []
        #expect(entries.count == 2)
        #expect(entries.last?.hasPrefix("crashed@4@orders/0@9@") == true, "the latest last: \(entries)")
    }

    @Test func positionsParseBack() {
        for position in [
            Position(destination: "orders", partition: 2, offset: "41"),
            Position(destination: "orders:dlq", offset: "1700000000000-3"),
            Position(destination: "a/b", offset: "7"),
        ] {
            #expect(Position(position.description) == position)
        }
    }
}
