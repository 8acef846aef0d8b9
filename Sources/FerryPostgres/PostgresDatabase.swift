import Ferry
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// One PostgreSQL database by URL, as the stores that live in it reach it:
/// `postgres://user:password@host:5432/database[?sslmode=disable|prefer|require&pool=N]`: a
/// small pool of connections, errors that say what failed where (never the password), and the
/// tables each store needs, created once.
package final class PostgresDatabase: Sendable {
    package let pool: PostgresPool
    /// Where it is, without user or password: for errors and logs.
    package let location: String
    /// The store's table: `?table=NAME` in the URL, else the store's default.
    package let table: String
    private let created = Locked(false)

    /// `what`: the store as errors name it ("saga store").
    package convenience init(_ url: String, what: String, table defaultTable: String, logger: Logger) throws(FerryError) {
        try self.init(try Endpoint(url), what: what, table: defaultTable, logger: logger)
    }

    package init(_ endpoint: Endpoint, what: String, table defaultTable: String, logger: Logger) throws(FerryError) {
        guard endpoint.scheme == "postgres" || endpoint.scheme == "postgresql" else {
            throw FerryError(.unsupportedScheme, "\(what) '\(endpoint)' is not a postgres:// URL")
        }
        guard endpoint.hosts.count == 1, let host = endpoint.hosts.first, !endpoint.path.isEmpty else {
            throw FerryError(
                .invalidEndpoint, "\(what) '\(endpoint)' names no database",
                remedy: "write postgres://user:password@host:5432/database")
        }
        location = "\(host.name):\(host.port ?? 5432)/\(endpoint.path)"
        table = try TableName.validated(endpoint.query["table"] ?? defaultTable, in: "\(what) '\(endpoint)'")
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch endpoint.query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "prefer": tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case let other:
                throw FerryError(.invalidEndpoint, "\(what) '\(endpoint)': sslmode '\(other)' is not disable, prefer or require")
            }
        } catch let error as FerryError {
            throw error
        } catch {
            throw FerryError(.invalidConfiguration, "\(what) '\(endpoint)': TLS cannot be set up: \(error)")
        }
        let configuration = PostgresConnection.Configuration(
            host: host.name, port: host.port ?? 5432, username: endpoint.user ?? "postgres", password: endpoint.password,
            database: endpoint.path, tls: tls)
        pool = PostgresPool(
            configuration, maximum: try endpoint.integer("pool", default: 4, in: 1...100)!, connectTimeout: .seconds(10),
            logger: logger)
    }

    /// A connection of its own, outside the pool (a lease, a LISTEN).
    package func connect() async throws -> PostgresConnection {
        try await pool.connect()
    }

    /// Runs `statements` (the store's `CREATE … IF NOT EXISTS`) in one transaction, until they
    /// succeed once, under a lock that keeps two processes from creating a table at once.
    package func create(_ statements: [PostgresQuery], for what: String) async throws {
        guard !created.withLock({ $0 }) else { return }
        try await run("creating its tables", for: what) {
            try await pool.withTransaction { connection in
                // Any fixed key: it only orders Ferry's own table creations.
                try await connection.query("SELECT pg_advisory_xact_lock(7300219)", logger: Self.quiet)
                for statement in statements { try await connection.query(statement, logger: Self.quiet) }
            }
        }
        created.withLock { $0 = true }
    }

    /// Runs `body`, a PostgreSQL error thrown as a `FerryError` saying what failed and where.
    @discardableResult
    package func run<T>(_ doing: String, for what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw translated(error, doing, for: what)
        }
    }

    private func translated(_ error: any Error, _ doing: String, for what: String) -> any Error {
        switch error {
        case let error as PSQLError: return failure(error, doing, for: what)
        case is CancellationError, is FerryError: return error
        // What went wrong inside a transaction, not the wrapper postgres-nio puts around it.
        case let error as PostgresTransactionError:
            if let cause = error.beginError ?? error.closureError ?? error.commitError { return translated(cause, doing, for: what) }
            fallthrough
        default:
            return FerryError(
                .connectionFailed, "the \(what) cannot reach PostgreSQL at \(location) while \(doing): \(error)",
                remedy: "check that PostgreSQL runs there (scripts/brokers up starts a local one)", isRetriable: true)
        }
    }

    private func failure(_ error: PSQLError, _ doing: String, for what: String) -> FerryError {
        if let server = error.serverInfo, let message = server[.message] {
            let state = server[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            let login = server[.sqlState].map { $0.hasPrefix("28") || $0 == "3D000" } ?? false
            return FerryError(
                .connectionFailed, "the \(what) at PostgreSQL \(location) refused \(doing): \(message)\(state)",
                remedy: login ? "check the user, password and database in the store's URL" : nil, isRetriable: !login)
        }
        let cause = error.underlying.map { " (\($0))" } ?? ""
        return FerryError(
            .connectionFailed, "the \(what) cannot reach PostgreSQL at \(location) while \(doing): \(error.code)\(cause)",
            remedy: "check that PostgreSQL runs there (scripts/brokers up starts a local one)", isRetriable: true)
    }

    package static let quiet = Logger(label: "ferry.postgres") { _ in SwiftLogNoOpLogHandler() }
}
