import Ferry
import Foundation
import Testing

@testable import FerryKafka

/// The Kafka consumer's state machine, without a broker.
@Suite struct KafkaConsumerStateTests {
    let partition = TopicPartition(topic: "orders", partition: 0)

    func message(_ offset: Int64, topic: String = "orders", headers: [String: String] = [:]) -> KafkaMessage {
        KafkaMessage(
            topic: topic, partition: 0, offset: offset,
            record: KafkaRecord(value: Data(), headers: headers.map { .init(name: $0.key, value: Data($0.value.utf8)) }))
    }

    func offsets(_ state: inout KafkaConsumerState, now: Int64 = 0) -> [Int64] {
        var out: [Int64] = []
        while case .message(let message, _) = state.next(now: now) { out.append(message.offset) }
        return out
    }

    @Test func theCommitOffsetNeverPassesAnUnsettledRecord() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g")
        state.assign([partition])
        state.accept((0..<5).map { message($0) })
        #expect(offsets(&state) == [0, 1, 2, 3, 4])
        let firstToStore = state.settle(partition, 1)
        #expect(firstToStore, "the first offset waiting to be stored")
        #expect(state.takeStores().map(\.1) == [0], "offset 0 is not settled: the commit stays at 0")
        _ = state.settle(partition, 0)
        #expect(state.takeStores().map(\.1) == [2], "0 and 1 settled: commit up to 2")
        for offset: Int64 in [3, 4] { _ = state.settle(partition, offset) }
        #expect(state.takeStores().isEmpty, "2 is still out: the commit cannot move")
        _ = state.settle(partition, 2)
        #expect(state.takeStores().map(\.1) == [5])
    }

    @Test func aRetryCopyIsHeldUntilDueWithoutHoldingUpTheRest() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g")
        let retryTopic = TopicPartition(topic: "orders.retry.g", partition: 0)
        state.assign([partition, retryTopic])
        state.accept([message(0, topic: "orders.retry.g", headers: [RetryHeaders.due: "1000", RetryHeaders.attempt: "2"]), message(7)])
        guard case .message(let first, _) = state.next(now: 0) else {
            Issue.record("the record behind the retry")
            return
        }
        #expect(first.offset == 7)
        guard case .poll(let dueIn) = state.next(now: 400) else {
            Issue.record("nothing due yet: poll")
            return
        }
        #expect(dueIn == 600, "poll no longer than until the retry is due")
        guard case .message(let retried, let headers) = state.next(now: 1000) else {
            Issue.record("the retry, once due")
            return
        }
        #expect(retried.topic == "orders.retry.g")
        #expect(headers[RetryHeaders.attempt] == "2")
    }

    /// Retries not yet due used to pile up in memory without bound; a retry partition holding
    /// `maxHeld` of them is paused until half went out.
    @Test func aRetryPartitionHoldingTooManyIsPausedUntilHalfWentOut() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g", maxHeld: 4)
        let retryTopic = TopicPartition(topic: "orders.retry.g", partition: 0)
        state.assign([partition, retryTopic])
        state.accept((0..<5).map { message($0, topic: "orders.retry.g", headers: [RetryHeaders.due: String(1000 + $0)]) })
        guard case .poll = state.next(now: 0) else {
            Issue.record("nothing is due yet")
            return
        }
        var changes = state.takePauseChanges()
        #expect(changes.pause == [retryTopic], "paused at the fourth held record")
        #expect(changes.resume.isEmpty)
        #expect(state.takePauseChanges().pause.isEmpty, "once")
        #expect(offsets(&state, now: 1001).count == 2, "two are due")
        #expect(state.takePauseChanges().resume.isEmpty, "3 still held, above half of 4")
        #expect(offsets(&state, now: 1002).count == 1)
        changes = state.takePauseChanges()
        #expect(changes.resume == [retryTopic], "2 held: fetching starts again")
        _ = state.revoke([retryTopic])
        #expect(state.takePauseChanges().resume.isEmpty, "nothing to change on a revoked partition")
    }

    @Test func retryHeadersOnAnyOtherTopicAreNotTrusted() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g")
        state.assign([partition])
        // Forged by a producer: due in the year 2286, attempt at the top of Int.
        state.accept([message(0, headers: [RetryHeaders.due: String(Int64.max), RetryHeaders.attempt: String(Int.max)])])
        guard case .message(let record, let headers) = state.next(now: 0) else {
            Issue.record("a forged due time does not hold the record back")
            return
        }
        #expect(record.offset == 0)
        #expect(headers.isEmpty, "no retry header is read off the source topic")
    }

    @Test func revokedPartitionsDropTheirBufferedRecordsAndReportSafeOffsets() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g")
        state.assign([partition])
        state.accept((0..<3).map { message($0) })
        #expect(offsets(&state).count == 3)
        _ = state.settle(partition, 0)
        let safe = state.revoke([partition])
        #expect(safe.map(\.1) == [1], "what the next owner starts from")
        state.accept([message(3)])
        guard case .poll = state.next(now: 0) else {
            Issue.record("a revoked partition's record is not handed out")
            return
        }
        let moved = state.settle(partition, 1)
        #expect(!moved, "a settle after the revoke changes nothing")
    }

    @Test func closingEndsTheConsumer() {
        var state = KafkaConsumerState(retryTopic: "orders.retry.g")
        state.assign([partition])
        state.accept([message(0)])
        state.close()
        guard case .closed = state.next(now: 0) else {
            Issue.record("closed")
            return
        }
    }
}
