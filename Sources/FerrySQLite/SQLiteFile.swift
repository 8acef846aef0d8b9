import Ferry
import Foundation
import GRDB

/// Opens the SQLite file a store lives in (its folder made first), in WAL mode with
/// synchronous=NORMAL: a process crash loses nothing committed, and a write costs no fsync of
/// its own; a write waits up to 10 s for another process's. `create` makes the store's tables; errors name the store and the path.
enum SQLiteFile {
    static func open(_ path: String, for what: String, create: (Database) throws -> Void) throws -> DatabaseQueue {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = Configuration()
            // Processes sharing the file (a saga's restarted process, `ferry saga`) wait for each
            // other's writes instead of failing with "database is locked".
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write(create)
            return database
        } catch {
            throw FerryError(
                .invalidEndpoint, "cannot open the SQLite \(what) at '\(path)': \(error)",
                remedy: "check that the folder exists and is writable")
        }
    }
}
