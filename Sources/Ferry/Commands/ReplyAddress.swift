/// The `replyto` attribute of a command: where its requester reads replies, as a name on the
/// broker. It comes off the wire, so a responder answers only to names Ferry writes
/// (`ferry.reply.` and a few plain characters), never into a destination a sender picked.
package enum ReplyAddress {
    package static let attribute = "replyto"
    package static let prefix = "ferry.reply."
    /// Marks the address of a durable route (a saga's), which brokers keep and trim less.
    package static let durable = "durable."

    /// The address of route `id`, `durable` or not, after a broker's own `part` (a partition).
    package static func make(_ id: String, durable: Bool, part: String = "") -> String {
        prefix + part + (durable ? Self.durable : "") + id
    }

    package static func isValid(_ address: String) -> Bool {
        address.hasPrefix(prefix) && address.utf8.count <= 200
            && address.utf8.allSatisfy { byte in
                (97...122).contains(byte) || (48...57).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
            }
    }

    /// Names the broker `endpoint` is on as `transport` tells brokers apart (host, credentials,
    /// vhost, db): where a reply to an address there would go. One reply route per broker.
    package static func broker(of endpoint: Endpoint, on transport: any Transport) throws -> String {
        try transport.replyEndpoint(for: make("probe", durable: false, part: "0."), near: endpoint).description
    }
}
