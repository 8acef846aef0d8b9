import Ferry
import FerryConformance
import Foundation
import Synchronization
import Testing

@testable import FerryRabbitMQ

/// What lag reads from the management API when the API itself falters.
@Suite struct RabbitMQManagementTests {
    /// Answers one connection per reply, in order, on a loopback port; counts the requests.
    final class ScriptedHTTPServer: Sendable {
        let port: Int
        let requests = Atomic<Int>(0)

        init(_ replies: [String]) throws {
            // Port 0: the kernel picks a free one, which no other test can take meanwhile.
            guard let (listener, port) = boundLoopbackSocket(port: 0), listen(listener, 8) == 0 else {
                throw CocoaError(.fileWriteUnknown)
            }
            self.port = port
            Thread { [self] in
                defer { close(listener) }
                for reply in replies {
                    let connection = accept(listener, nil, nil)
                    guard connection >= 0 else { return }
                    var request: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
                        let count = recv(connection, &buffer, buffer.count, 0)
                        guard count > 0 else { break }
                        request += buffer[..<count]
                    }
                    requests.add(1, ordering: .relaxed)
                    _ = Array(reply.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
                    shutdown(connection, Int32(SHUT_WR))
                    close(connection)
                }
            }.start()
        }
    }

    static func reply(_ status: String, _ body: String) -> String {
        "HTTP/1.1 \(status)\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func management(_ server: ScriptedHTTPServer) throws -> RabbitMQManagement {
        RabbitMQManagement(endpoint: try AMQPEndpoint(Endpoint("amqp://u:p@127.0.0.1:5672/%2F?queue=q&management-port=\(server.port)")))
    }

    @Test func aPassingServerErrorIsAskedAgain() async throws {
        let items = #"{"items":[{"name":"q","messages_ready":3,"messages_unacknowledged":2}]}"#
        let server = try ScriptedHTTPServer([
            Self.reply("500 Internal Server Error", "{}"), Self.reply("503 Service Unavailable", "{}"), Self.reply("200 OK", items),
        ])
        let queues = try await Self.management(server).queues(matching: "^q$")
        #expect(queues.map(\.name) == ["q"] && queues.map(\.ready) == [3] && queues.map(\.unacked) == [2])
        #expect(server.requests.load(ordering: .relaxed) == 3)
    }

    @Test func aLastingServerErrorFailsWithItsStatus() async throws {
        let server = try ScriptedHTTPServer(Array(repeating: Self.reply("500 Internal Server Error", "{}"), count: 4))
        let error = await #expect(throws: FerryError.self) { try await Self.management(server).queues(matching: "^q$") }
        #expect(error?.message.contains("HTTP 500") == true)
        #expect(server.requests.load(ordering: .relaxed) == 4, "asked once and three times again")
    }

    @Test func aRefusalIsNotAskedAgain() async throws {
        let server = try ScriptedHTTPServer([Self.reply("401 Unauthorized", "{}")])
        let error = await #expect(throws: FerryError.self) { try await Self.management(server).queues(matching: "^q$") }
        #expect(error?.remedy?.contains("user and password") == true)
        #expect(server.requests.load(ordering: .relaxed) == 1)
    }
}
