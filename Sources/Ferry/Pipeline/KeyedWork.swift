/// Which deliveries a concurrent `Consumer` may hand to a handler now: up to `limit` held at
/// once, and those of one partition key strictly one after another, in the order they came.
/// A delivery whose key is busy waits behind it; the handler of that key takes it next.
/// Changed under the consumer's lock; unit-tested without a broker.
struct KeyedWork<Item>: Sendable where Item: Sendable {
    enum Admission {
        /// Start a handler for it.
        case start
        /// Its key is busy: the handler of that key takes it next.
        case queued
    }

    let limit: Int
    /// Held: running or waiting behind their key.
    private(set) var held = 0
    private var waiting: [String: [Item]] = [:]
    private var busy: Set<String> = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// Whether another delivery may be taken from the source now.
    var hasRoom: Bool { held < limit }

    mutating func admit(_ item: Item, key: String?) -> Admission {
        held += 1
        guard let key else { return .start }
        if busy.insert(key).inserted { return .start }
        waiting[key, default: []].append(item)
        return .queued
    }

    /// A handler finished an item of `key`: the next one of that key, if any, for the same
    /// handler to take; otherwise the key is free.
    mutating func finish(key: String?) -> Item? {
        held -= 1
        guard let key else { return nil }
        guard var queue = waiting[key], !queue.isEmpty else {
            busy.remove(key)
            return nil
        }
        let next = queue.removeFirst()
        waiting[key] = queue.isEmpty ? nil : queue
        return next
    }
}
