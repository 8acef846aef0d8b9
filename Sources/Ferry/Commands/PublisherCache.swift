/// Publishers by endpoint, opened at the first send to each, the least recently used closed
/// beyond `capacity` once no send is using them: a responder's to its requesters' reply
/// destinations (requesters come and go, their connections must not pile up), a requester's to
/// the command destinations.
final class PublisherCache: Sendable {
    private final class Entry: Sendable {
        let opening: Task<any Publisher, any Error>
        init(_ opening: Task<any Publisher, any Error>) { self.opening = opening }
    }

    private struct State {
        var open: [Endpoint: Entry] = [:]
        var recent: [Endpoint] = []
        /// Sends using each entry; an entry evicted while in use is closed by its last sender.
        var users: [ObjectIdentifier: Int] = [:]
        var evicted: Set<ObjectIdentifier> = []
    }

    private let transports: Transports
    private let capacity: Int
    private let labelsByBroker: Bool
    private let state = Locked(State())

    /// `labelsByBroker`: metrics name the broker, not the destination (`amqp://replies`), so
    /// that requesters coming and going add no series.
    init(transports: Transports, capacity: Int = 32, labelsByBroker: Bool = false) {
        self.transports = transports
        self.capacity = capacity
        self.labelsByBroker = labelsByBroker
    }

    func publish(_ event: Event, to endpoint: Endpoint) async throws -> Receipt {
        let (entry, idle) = state.withLock { state -> (Entry, [Entry]) in
            state.recent.removeAll { $0 == endpoint }
            state.recent.append(endpoint)
            let entry = state.open[endpoint] ?? Entry(open(endpoint))
            state.open[endpoint] = entry
            state.users[ObjectIdentifier(entry), default: 0] += 1
            var idle: [Entry] = []
            while state.recent.count > capacity {
                guard let old = state.open.removeValue(forKey: state.recent.removeFirst()) else { continue }
                if state.users[ObjectIdentifier(old)] == nil { idle.append(old) } else { state.evicted.insert(ObjectIdentifier(old)) }
            }
            return (entry, idle)
        }
        for old in idle { await (try? old.opening.value)?.close() }
        defer {
            let last = state.withLock { state -> Bool in
                let id = ObjectIdentifier(entry)
                state.users[id, default: 1] -= 1
                guard state.users[id] == 0 else { return false }
                state.users[id] = nil
                return state.evicted.remove(id) != nil
            }
            if last { Task { await (try? entry.opening.value)?.close() } }
        }
        let publisher: any Publisher
        do {
            publisher = try await entry.opening.value
        } catch {
            state.withLock { if $0.open[endpoint] === entry { $0.open[endpoint] = nil } }  // the next send opens again
            throw error
        }
        return try await publisher.publish(event)
    }

    private func open(_ endpoint: Endpoint) -> Task<any Publisher, any Error> {
        Task { [transports, labelsByBroker] () async throws -> any Publisher in
            guard labelsByBroker else { return try await transports.publisher(for: endpoint) }
            let publisher = try await transports.transport(for: endpoint).makePublisher(for: endpoint)
            return MeteredPublisher(publisher, label: "\(endpoint.scheme)://replies")
        }
    }

    func close() async {
        let all = state.withLock { state in
            defer { state = State() }
            return Array(state.open.values)
        }
        for entry in all { await (try? entry.opening.value)?.close() }
    }
}
