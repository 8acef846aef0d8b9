extension Duration {
    /// Whole microseconds, as brokers' delays and timestamps want them.
    public var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
