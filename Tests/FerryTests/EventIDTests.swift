import Foundation
import Testing

@testable import Ferry

@Suite struct EventIDTests {
    @Test func idsAreLowerCaseVersion4UUIDsAndDiffer() throws {
        let ids = (0..<1000).map { _ in EventID.make() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(50) {
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "4")
            #expect("89ab".contains(Array(id)[19]))
        }
    }
}
