import ArgumentParser
import Ferry

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Work with the event schema catalog.",
        subcommands: [SchemaCheck.self]
    )
}

struct SchemaCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every version of every event type against its compatibility mode.",
        discussion: """
            The directory holds <EventType>/v<N>.json (JSON Schema), optionally v<N>.upcast.json (the \
            steps from version N-1) and a file named compatibility (BACKWARD, FORWARD, FULL, their \
            _TRANSITIVE forms, or NONE; BACKWARD when absent). Prints each incompatible change and exits \
            1 when there is any.
            """
    )

    @Argument(help: "The schema directory, e.g. Config/schemas.")
    var directory: String

    func run() async throws {
        let catalog = try SchemaCatalog(directory: directory)
        let problems = catalog.problems()
        for problem in problems { Output.line(problem) }
        let types = catalog.versions.keys.sorted()
        let versions = types.map { "\($0) v\(catalog.versions[$0]!.keys.sorted().map(String.init).joined(separator: ",v"))" }
        if problems.isEmpty {
            Output.line("compatible: \(types.count) event type(s): \(versions.joined(separator: "; "))")
        } else {
            Output.error("schema check: \(problems.count) incompatible change(s)")
            throw ExitCode(1)
        }
    }
}
