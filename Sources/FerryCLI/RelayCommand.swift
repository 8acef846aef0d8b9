import ArgumentParser
import Ferry
import FerryRelay
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Copy events between brokers, as configured, without losing any.",
        discussion: """
            Each route reads its source as a member of a consumer group and copies every event to all \
            its sinks; the source event is acknowledged only after every sink confirmed. Run several \
            relays with the same configuration to share the work (use a redis:// idempotency store \
            then). SIGTERM or SIGINT: stop reading, finish the copies in flight, acknowledge them, exit \
            0. A bad configuration exits 2 before connecting. See Config/relay.example.yaml for every \
            key.
            """
    )

    @Option(help: "The relay configuration file (YAML).")
    var config: String

    @Option(
        help: "Serve Prometheus metrics on /metrics and a health check on /health at this port (0: a free one, printed).")
    var metricsPort: Int?

    @Option(help: "The address the metrics port listens on.")
    var metricsAddress: String = "127.0.0.1"

    @OptionGroup var common: CommonOptions

    func run() async throws {
        MallocTuning.forLongRunningCopy(environment: ProcessInfo.processInfo.environment)
        let (transports, logger) = common.transports()
        let configuration: RelayConfiguration
        let store: any IdempotencyStore
        let schemas: SchemaRegistry?
        do {
            if let port = metricsPort, !(0...65535).contains(port) {
                throw FerryError(
                    .invalidConfiguration, "--metrics-port \(port) is not a TCP port",
                    remedy: "give a port from 1 to 65535, or 0 for a free one")
            }
            configuration = try RelayConfiguration(file: config)
            for route in configuration.routes {
                for endpoint in [route.source] + route.sinks { _ = try transports.transport(for: endpoint) }
            }
            store = try IdempotencyStores.make(configuration.idempotency)
            schemas = try configuration.schemas.map { SchemaRegistry(catalog: try SchemaCatalog(directory: $0)) }
        } catch {
            Output.error("relay: \(error)")
            throw ExitCode(2)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let routes = configuration.routes.map {
            RelayRoute(configuration: $0, transports: transports, store: store, schemas: schemas, logger: logger)
        }
        let server = try metricsPort.map {
            try MetricsServer(registry: registry, address: metricsAddress, port: $0) { Self.health(of: routes) }
        }
        defer { server?.stop() }
        if let server { Output.error("relay: metrics on http://\(metricsAddress):\(server.port)/metrics") }
        let display = isatty(STDERR_FILENO) == 1 ? Task { await Self.showProgress(routes) } : nil
        defer { display?.cancel() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: routes.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await transports.shutdown()
        for route in routes { Output.line("route \(route.configuration.name): \(route.statistics.summary)") }
    }

    /// `{"status":"ok"|"unhealthy","routes":{"<name>":{"status":...,"lag":...,...}}}`: healthy
    /// when every route runs, settles what it reads and keeps up.
    static func health(of routes: [RelayRoute]) -> (healthy: Bool, body: String) {
        let states = routes.map { ($0.configuration.name, $0.health) }
        let healthy = states.allSatisfy { $0.1.isHealthy }
        let report: [String: Any] = [
            "status": healthy ? "ok" : "unhealthy", "routes": Dictionary(uniqueKeysWithValues: states.map { ($0.0, $0.1.json) }),
        ]
        let body = (try? JSONSerialization.data(withJSONObject: report, options: .sortedKeys)) ?? Data()
        return (healthy, String(decoding: body, as: UTF8.self))
    }

    /// One line on an interactive terminal, rewritten every second: events/s, in flight, lag.
    static func showProgress(_ routes: [RelayRoute]) async {
        var previous = routes.map { $0.statistics.copied + $0.statistics.duplicates + $0.statistics.skipped }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            var parts: [String] = []
            for (index, route) in routes.enumerated() {
                let done = route.statistics.copied + route.statistics.duplicates + route.statistics.skipped
                let (inFlight, lag) = route.progress
                parts.append(
                    "\(route.configuration.name): \(done - previous[index]) ev/s, in flight \(inFlight), lag \(lag.map(String.init) ?? "?"), copied \(route.statistics.copied)"
                )
                previous[index] = done
            }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + parts.joined(separator: " | ")).utf8))
        }
    }
}
