import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a relay's `/health` answered: the HTTP status and the JSON report.
struct HealthCheck: Sendable {
    var status: Int
    var body: Data

    var report: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }

    /// The state of route `name` (`ok`, `failing`, `stalled`, `starting`...).
    func route(_ name: String) -> [String: Any] { (report["routes"] as? [String: Any])?[name] as? [String: Any] ?? [:] }

    static func fetch(port: Int) async throws -> HealthCheck {
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        return HealthCheck(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: body)
    }
}
