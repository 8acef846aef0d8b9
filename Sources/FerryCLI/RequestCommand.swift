import ArgumentParser
import Ferry
import Foundation

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send a command to the responder on an endpoint and print its reply.",
        discussion: """
            The command goes to one handler (a Responder in a service) with this process's reply \
            address; the reply is printed as `reply <type> id=<id> <data>`, or with --json as a \
            CloudEvent. A failure reply or no reply within --timeout exits 1. Example:
              ferry request amqp://guest:guest@127.0.0.1:5672/%2F?queue=payments --type payment.charge --data '{"order":"o-1","cents":1250}'
            """
    )

    @Argument(help: "Where the responder reads commands, e.g. redis://127.0.0.1:6379/payments.")
    var endpoint: String

    @Option(help: "The command's CloudEvents type.")
    var type: String

    @OptionGroup var data: EventDataOptions

    @Option(help: "Seconds to wait for the reply.")
    var timeout: Double = 10

    @Option(help: "The partition key: commands with one key are handled in order.")
    var key: String?

    @Option(help: "The CloudEvents source.")
    var source: String = "/ferry/cli"

    @Option(help: "The schema version (dataversion) of the command.")
    var version: Int?

    @Flag(help: "Print the reply as one CloudEvent in JSON.")
    var json = false

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds, not \(timeout)") }
    }

    func run() async throws {
        let body = try data.bytes()
        let (transports, logger) = common.transports()
        let requester = Requester(transports: transports, source: source, logger: logger)
        let command = Event(
            source: source, type: type, datacontenttype: data.contentType, partitionkey: key, dataversion: version, data: body)
        let outcome: Result<Event, any Error>
        do {
            outcome = .success(try await requester.request(command, to: try common.endpoint(endpoint), timeout: .seconds(timeout)))
        } catch {
            outcome = .failure(error)
        }
        await requester.close()
        await transports.shutdown()
        switch outcome {
        case .success(let reply) where json:
            Output.line(String(decoding: try StructuredFormat.encode(reply), as: UTF8.self))
        case .success(let reply):
            Output.line("reply \(reply.type) id=\(reply.id) \(String(decoding: reply.data.prefix(4096), as: UTF8.self))")
        case .failure(let error):
            Output.error("request: \(error)")
            throw ExitCode(1)
        }
    }
}
