import Ferry
import Foundation
import GRDB

/// Opens the SQLite file a store lives in (its folder made first), in WAL mode with
/// synchronous=NORMAL: a process crash loses nothing committed, and a write costs no fsync of
/// its own; a write waits up to 10 s for another process's. `create` makes the store's tables;
/// errors name the store and the path.
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
                try walMode(db)
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

    /// Switches the file to WAL (which the file keeps). Two processes opening a new file at
    /// once (two relays) can get SQLITE_BUSY from the switch at once, without the busy
    /// timeout: the switch is tried again, for up to 10 s. Only BUSY is tried again, so a file
    /// that cannot be in WAL (in memory) is left as it is, as before.
    private static func walMode(_ db: Database) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(20_000)
            }
        }
    }
}
