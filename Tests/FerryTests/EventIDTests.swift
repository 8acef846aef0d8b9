import Foundation
import Testing

@testable import Ferry

@Suite struct EventIDTests {
    @Test func idsAreLowerCaseVersion7UUIDsInTimeOrderAndDiffer() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let ids = (0..<1000).map { _ in EventID.make() }
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(50) {
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "7")
            #expect("89ab".contains(Array(id)[19]))
            let milliseconds = try #require(UInt64(id.replacingOccurrences(of: "-", with: "").prefix(12), radix: 16))
            #expect((before...after).contains(milliseconds), "the first 48 bits are the time of making, in ms")
        }
        let milliseconds = ids.map { $0.prefix(13) }
        #expect(milliseconds == milliseconds.sorted(), "ids made later sort after, to the millisecond")
    }
}
