import Ferry
import Foundation
import Testing

@testable import FerryRabbitMQ

/// The management API's replies are read with bounds: anything but a whole HTTP reply is an
/// error, never a trap.
@Suite struct ManagementHTTPTests {
    func parse(_ text: String) throws(FerryError) -> (status: Int, body: Data) {
        try ManagementHTTP.parse(Array(text.utf8), place: "h:1")
    }

    @Test func aWholeReplyGivesItsStatusAndBody() throws {
        let reply = try parse("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"items\":[]}")
        #expect(reply.status == 200)
        #expect(String(decoding: reply.body, as: UTF8.self) == #"{"items":[]}"#)
    }

    @Test(arguments: ["", "HTTP/1.1 200 OK\r\n", "garbage\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "\r\n\r\n", "HTTP/2 200\r\n\r\n"])
    func anythingElseIsAnError(_ text: String) {
        #expect(throws: FerryError.self) { try parse(text) }
    }
}
