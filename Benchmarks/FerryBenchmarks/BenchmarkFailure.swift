/// A benchmark that could not run to the end: the run stops and says which one and why.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
