/// The one formula for the key duplicates are recognised by, in the `Consumer`, the relay and
/// `ferry tail --dedup`: the event's `idempotencykey`, else its `source` and `id` (an id is
/// unique only per source), within a scope (a consumer group, a relay route).
package enum IdempotencyKey {
    package static func of(_ event: Event, scope: String) -> String {
        if let key = event.idempotencykey { return scope + "|" + key }
        return scope + "|" + event.source + " " + event.id
    }
}
