/// A handler ran longer than `ConsumerOptions.handlerTimeout`.
struct HandlerTimeout: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "the handler took longer than \(limit)" }
}
