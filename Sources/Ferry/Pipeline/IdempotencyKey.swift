/// The one formula for the key duplicates are recognised by, in the `Consumer`, the relay and
/// `ferry tail --dedup`: the event's `idempotencykey`, else its `source` and `id` (an id is
/// unique only per source), within a scope (a consumer group, a relay route).
package enum IdempotencyKey {
    package static func of(_ event: Event, scope: String) -> String {
        // Built in one buffer: it is made for every event.
        var key = scope
        if let explicit = event.idempotencykey {
            key.reserveCapacity(scope.utf8.count + 1 + explicit.utf8.count)
            key += "|"
            key += explicit
        } else {
            key.reserveCapacity(scope.utf8.count + 2 + event.source.utf8.count + event.id.utf8.count)
            key += "|"
            key += event.source
            key += " "
            key += event.id
        }
        return key
    }
}
