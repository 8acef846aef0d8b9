/// Publishers by endpoint, opened at the first send to each, the least recently used closed
/// beyond `capacity`: a responder's to its requesters' reply destinations (requesters come and
/// go, their connections must not pile up), a requester's to the command destinations.
final class PublisherCache: Sendable {
    private struct State {
        var open: [Endpoint: Task<any Publisher, any Error>] = [:]
        var recent: [Endpoint] = []
    }

    private let transports: Transports
    private let capacity: Int
    private let state = Locked(State())

    init(transports: Transports, capacity: Int = 32) {
        self.transports = transports
        self.capacity = capacity
    }

    func publisher(for endpoint: Endpoint) async throws -> any Publisher {
        let (opening, evicted) = state.withLock { state -> (Task<any Publisher, any Error>, [Task<any Publisher, any Error>]) in
            state.recent.removeAll { $0 == endpoint }
            state.recent.append(endpoint)
            var evicted: [Task<any Publisher, any Error>] = []
            while state.recent.count > capacity {
                if let old = state.open.removeValue(forKey: state.recent.removeFirst()) { evicted.append(old) }
            }
            if let opening = state.open[endpoint] { return (opening, evicted) }
            let opening = Task { [transports] in try await transports.publisher(for: endpoint) }
            state.open[endpoint] = opening
            return (opening, evicted)
        }
        for old in evicted { await (try? old.value)?.close() }
        do {
            return try await opening.value
        } catch {
            state.withLock { if $0.open[endpoint] == opening { $0.open[endpoint] = nil } }
            throw error
        }
    }

    func close() async {
        let all = state.withLock { state in
            defer { state = State() }
            return Array(state.open.values)
        }
        for opening in all { await (try? opening.value)?.close() }
    }
}
