import Foundation

/// Runs Benchmarks/peers/peer.py: the same workload with the Python client of the broker.
struct PeerClient {
    let python: String
    let script: String

    func rate(
        _ broker: String, _ workload: String, target: String, url: String, group: String = "peer", headers: [(String, String)] = [],
        _ settings: Workload
    ) throws -> Double {
        guard let rate = try run(broker, workload, target: target, url: url, group: group, headers: headers, settings)["rate"] as? Double
        else {
            throw BenchmarkFailure("peer \(broker) \(workload) printed no rate")
        }
        return rate
    }

    func samples(_ broker: String, target: String, url: String, headers: [(String, String)], _ settings: Workload) throws -> [Double] {
        guard
            let samples = try run(broker, "latency", target: target, url: url, group: "peer", headers: headers, settings)["samples"]
                as? [Double]
        else {
            throw BenchmarkFailure("peer \(broker) latency printed no samples")
        }
        return samples
    }

    private func run(
        _ broker: String, _ workload: String, target: String, url: String, group: String, headers: [(String, String)], _ settings: Workload
    ) throws -> [String: Any] {
        let headerObject = Dictionary(headers, uniquingKeysWith: { $1 })
        let headerJSON = String(decoding: try JSONSerialization.data(withJSONObject: headerObject, options: .sortedKeys), as: UTF8.self)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            script, broker, workload, target, "--url", url, "--events", String(settings.events), "--payload", String(settings.payloadBytes),
            "--batch", String(settings.batch), "--prefetch", String(settings.prefetch), "--samples", String(settings.latencySamples),
            "--group", group, "--headers", headerJSON,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchmarkFailure(
                "peer \(broker) \(workload) failed (exit \(process.terminationStatus)); run it by hand: \(python) \(script) \(broker) \(workload) \(target) --url URL"
            )
        }
        return object
    }
}
