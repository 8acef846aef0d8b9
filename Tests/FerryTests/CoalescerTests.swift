import Foundation
import Testing

@testable import Ferry

@Suite struct CoalescerTests {
    @Test func concurrentSubmitsShareBatchesAndGetTheirOwnOutputsInOrder() async {
        let batches = Locked<[[Int]]>([])
        let gate = DispatchSemaphore(value: 0)
        let coalescer = Coalescer<Int, String>(executor: BlockingExecutor(label: "test"), limit: 1000) { items in
            if batches.withLock({ $0.isEmpty }) { gate.wait() }  // hold the first batch so others pile up
            batches.withLock { $0.append(items) }
            return items.map { "out-\($0)" }
        }
        async let first = coalescer.submit([0])
        try? await Task.sleep(for: .milliseconds(50))
        let results = await withTaskGroup(of: (Int, [String]).self) { group in
            for caller in 1...20 {
                group.addTask { (caller, await coalescer.submit([caller * 10, caller * 10 + 1])) }
            }
            try? await Task.sleep(for: .milliseconds(50))
            gate.signal()
            var all: [Int: [String]] = [:]
            for await (caller, outputs) in group { all[caller] = outputs }
            return all
        }
        #expect(await first == ["out-0"])
        for caller in 1...20 { #expect(results[caller] == ["out-\(caller * 10)", "out-\(caller * 10 + 1)"]) }
        let sizes = batches.withLock { $0.map(\.count) }
        #expect(sizes.first == 1)
        #expect(sizes.count < 21, "the 20 waiting callers went in fewer batches: \(sizes)")
    }

    @Test func queuedItemsWaitForTheDelayUnlessDrainedOnTheExecutor() async throws {
        let executor = BlockingExecutor(label: "test")
        let done = Locked<[Int]>([])
        let coalescer = Coalescer<Int, Void>(executor: executor, limit: 100, delay: .seconds(60)) { items in
            done.withLock { $0 += items }
            return items.map { _ in () }
        }
        coalescer.enqueue(1)
        coalescer.enqueue(2)
        coalescer.enqueue(3)
        try await Task.sleep(for: .milliseconds(50))
        #expect(done.withLock { $0 }.isEmpty, "still within the delay")
        await executor.run { coalescer.drain() }
        #expect(done.withLock { $0 } == [1, 2, 3])
    }

    /// Acks nobody waits for join one request up to the limit; a waiting request stays whole.
    @Test func queuedItemsShareRequestsUpToTheLimit() {
        var state = CoalescerState<Int, Void>()
        let starts = (0..<7).map { state.enqueue($0, limit: 3) }
        #expect(starts == [true] + Array(repeating: false, count: 6), "the first item starts a drain")
        let batch = state.nextBatch(limit: 100)
        #expect(batch?.map(\.items) == [[0, 1, 2], [3, 4, 5], [6]])
        let next = state.nextBatch(limit: 100)
        #expect(next == nil, "the drain ends")
    }
}
