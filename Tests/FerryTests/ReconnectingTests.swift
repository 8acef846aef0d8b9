import Ferry
import FerryConformance
import Logging
import Testing

/// How adapters keep a connection, without a broker: a fake connection that can be made to fail.
@Suite struct ReconnectingTests {
    final class FakeConnection: BrokerConnection {
        var isOpen = true
        func close() { isOpen = false }
    }

    struct Boom: Error {}

    /// A link whose every open succeeds and is counted in `opened`.
    func countingLink(_ opened: Locked<Int>) -> Reconnecting<FakeConnection> {
        Reconnecting("test", logger: Logger(label: "test")) { () throws(FerryError) in
            opened.withLock { $0 += 1 }
            return FakeConnection()
        }
    }

    @Test func opensOnUseAndAgainAfterAFailure() throws {
        let opened = Locked(0)
        var link = countingLink(opened)
        try link.run { _ in }
        try link.run { _ in }
        #expect(opened.withLock { $0 } == 1, "an open connection is reused")
        #expect(link.generation == 1)
        #expect(throws: FerryError.self) {
            try link.run { _ throws(FerryError) in throw FerryError(.connectionFailed, "lost", isRetriable: true) }
        }
        #expect(link.current == nil, "a failure drops the connection")
        try link.run { _ in }
        #expect(opened.withLock { $0 } == 2)
        #expect(link.generation == 2, "deliveries read on the first connection are told apart")
    }

    @Test func aLossAndARecoveryAreLoggedOnceEach() throws {
        let lines = LoggedLines()
        var failing = true
        var link = Reconnecting<FakeConnection>("test link", logger: lines.logger) { () throws(FerryError) in
            if failing { throw FerryError(.connectionFailed, "refused", isRetriable: true) }
            return FakeConnection()
        }
        for _ in 0..<3 {
            do throws(FerryError) {
                try link.run { _ in }
            } catch {
                link.backOff(after: error)
            }
        }
        failing = false
        try link.run { _ in }
        try link.run { _ in }
        #expect(lines.count(.warning) == 1, "three failed attempts, one warning")
        #expect(lines.count(.notice) == 1, "one line when connected again")
    }

    @Test func retryingOnceOpensANewConnectionAfterALoss() throws {
        let opened = Locked(0)
        var link = countingLink(opened)
        try link.run { _ in }
        var calls = 0
        let value = try link.runRetryingOnce { _ throws(FerryError) in
            calls += 1
            if calls == 1 { throw FerryError(.connectionFailed, "server restarted", isRetriable: true) }
            return 42
        }
        #expect(value == 42)
        #expect(opened.withLock { $0 } == 2)
    }
}
