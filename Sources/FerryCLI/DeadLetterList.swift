import ArgumentParser
import Ferry
import Foundation

struct DeadLetterList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the dead letters without removing them: position, id, type, reason, attempts, error.")

    @OptionGroup var letters: DeadLetterSource

    @Option(help: "Stop after this many letters.")
    var count: Int?

    @Flag(help: "Print one JSON object per letter, with its full event.")
    var json = false

    func run() async throws {
        let (transports, _) = letters.common.transports()
        var shown = 0
        // A fresh group each time: listing leaves every letter where it is.
        try await letters.read(group: "ferry-dlq-list-\(UUID().uuidString.prefix(8).lowercased())", with: transports) { delivery, record in
            Output.line(json ? try DeadLetterList.json(delivery, record) : DeadLetterList.line(delivery, record))
            shown += 1
            return count.map { shown < $0 } ?? true
        }
        await transports.shutdown()
    }

    static func line(_ delivery: Delivery, _ record: DeadLetterRecord?) -> String {
        let event = delivery.event
        guard let record else { return "\(delivery.position)\t\(event.id)\t\(event.type)\t(no dead-letter record)" }
        return
            "\(delivery.position)\t\(event.id)\t\(event.type)\treason=\(record.reason.code)\tattempts=\(record.attempts)\tfrom=\(record.position)\t\(record.reason.message)"
    }

    static func json(_ delivery: Delivery, _ record: DeadLetterRecord?) throws -> String {
        var bare = delivery.event
        bare.headers = DeadLetterRecord.removing(from: bare.headers)
        let event = String(decoding: try StructuredFormat.encode(bare), as: UTF8.self)
        var summary: [String: Any] = ["position": delivery.position.description, "headers": bare.headers]
        if let record {
            summary["reason"] = record.reason.code.name
            summary["error"] = record.reason.message
            summary["attempts"] = record.attempts
            summary["origin"] = record.position.description
            summary["endpoint"] = record.endpoint
        }
        let head = String(decoding: try JSONSerialization.data(withJSONObject: summary, options: .sortedKeys), as: UTF8.self)
        return String(head.dropLast()) + #","event":\#(event)}"#
    }
}
