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
        try await letters.browse(with: transports) { position, event, record in
            Output.line(json ? try DeadLetterList.json(position, event, record) : DeadLetterList.line(position, event, record))
            shown += 1
            return count.map { shown < $0 } ?? true
        }
        await transports.shutdown()
    }

    static func line(_ position: Position, _ read: Result<Event, FerryError>, _ record: DeadLetterRecord?) -> String {
        let event: Event
        switch read {
        case .success(let decoded): event = decoded
        case .failure(let error): return "\(position)\t(unreadable: \(error))"
        }
        guard let record else { return "\(position)\t\(event.id)\t\(event.type)\t(no dead-letter record)" }
        return
            "\(position)\t\(event.id)\t\(event.type)\treason=\(record.reason.code)\tattempts=\(record.attempts)\tfrom=\(record.position)\t\(record.reason.message)"
    }

    static func json(_ position: Position, _ read: Result<Event, FerryError>, _ record: DeadLetterRecord?) throws -> String {
        var summary: [String: Any] = ["position": position.description]
        var bare: Event
        switch read {
        case .success(let decoded): bare = decoded
        case .failure(let error):
            summary["unreadable"] = error.description
            return String(decoding: try JSONSerialization.data(withJSONObject: summary, options: .sortedKeys), as: UTF8.self)
        }
        bare.headers = DeadLetterRecord.removing(from: bare.headers)
        let encoded = String(decoding: try StructuredFormat.encode(bare), as: UTF8.self)
        summary["headers"] = bare.headers
        if let record {
            summary["reason"] = record.reason.code.name
            summary["error"] = record.reason.message
            summary["attempts"] = record.attempts
            summary["origin"] = record.position.description
            summary["endpoint"] = record.endpoint
        }
        let head = String(decoding: try JSONSerialization.data(withJSONObject: summary, options: .sortedKeys), as: UTF8.self)
        return String(head.dropLast()) + #","event":\#(encoded)}"#
    }
}
