import ArgumentParser
import Ferry
import Foundation

struct SagaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga",
        abstract: "Look at saga instances in their store.",
        subcommands: [SagaList.self, SagaShow.self]
    )
}

/// What the saga commands share: the store, and which saga.
struct SagaStoreOptions: ParsableArguments {
    @Argument(help: "The saga store: sqlite:///path/file.db or redis://host:port/prefix.")
    var store: String

    @Option(help: "Only this saga (by default every saga in the store).")
    var saga: String?

    @Flag(help: "Print JSON.")
    var json = false

    /// `--saga`, or every saga in `store`.
    func names(in store: any SagaStore) async throws -> [String] {
        if let saga { return [saga] }
        return try await store.sagas()
    }

    func open() throws -> any SagaStore {
        try SagaStores.make(SecretSubstitution.apply(store, forURL: true, environment: ProcessInfo.processInfo.environment))
    }
}

struct SagaList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List saga instances, the most recently updated first: id, status, step, version, last change.")

    @OptionGroup var options: SagaStoreOptions

    @Option(help: "At most this many instances per saga.")
    var count = 50

    func run() async throws {
        let store = try options.open()
        let names = try await options.names(in: store)
        for name in names {
            for record in try await store.list(saga: name, limit: count) {
                if options.json {
                    Output.line(
                        try SagaJSON.line([
                            "saga": name, "id": record.id, "status": record.status.rawValue, "step": record.step,
                            "version": record.version, "updated": RFC3339.format(micros: record.updatedMicros),
                        ]))
                } else {
                    Output.line(
                        "\(name) \(record.id) \(record.status.rawValue) step=\(record.step) version=\(record.version) updated=\(RFC3339.format(micros: record.updatedMicros)) last=\(record.history.last?.what ?? "-")"
                    )
                }
            }
        }
    }
}

struct SagaShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show one saga instance: its status, state and history.")

    @OptionGroup var options: SagaStoreOptions

    @Argument(help: "The instance id.")
    var id: String

    func run() async throws {
        let store = try options.open()
        let names = try await options.names(in: store)
        var found: SagaRecord?
        for name in names where found == nil { found = try await store.load(saga: name, id: id) }
        guard let record = found else {
            Output.error(
                "saga show: no instance '\(id)' in \(Endpoint.redacted(options.store))\(options.saga.map { " for saga \($0)" } ?? "")")
            throw ExitCode(1)
        }
        let state =
            (try? JSONSerialization.jsonObject(with: record.state, options: .fragmentsAllowed))
            ?? String(decoding: record.state, as: UTF8.self)
        let history = record.history.map {
            ["at": RFC3339.format(micros: $0.micros), "input": $0.input, "input_id": $0.inputID, "what": $0.what]
        }
        if options.json {
            Output.line(
                try SagaJSON.line([
                    "saga": record.saga, "id": record.id, "status": record.status.rawValue, "step": record.step,
                    "version": record.version, "state": state, "history": history,
                ]))
            return
        }
        Output.line("\(record.saga) \(record.id): \(record.status.rawValue), step \(record.step), version \(record.version)")
        Output.line("state: \(String(decoding: record.state, as: UTF8.self))")
        for entry in history { Output.line("  \(entry["at"]!) \(entry["what"]!) (\(entry["input"]!) \(entry["input_id"]!))") }
    }
}

enum SagaJSON {
    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
    }
}
