import Foundation

/// A Redis reply, copied out of hiredis.
enum RedisValue: Sendable {
    case string(Data)
    case integer(Int)
    case array([RedisValue])
    case null
    case status(String)
    case error(String)

    var text: String? {
        switch self {
        case .string(let data): String(decoding: data, as: UTF8.self)
        case .status(let text): text
        case .integer(let number): String(number)
        default: nil
        }
    }

    /// Whether an error reply says the server cannot take the command for now, but will: while
    /// it loads its data after a restart, while it is a replica, out of memory or unable to
    /// persist, or busy with a script.
    static func isTransient(_ message: String) -> Bool {
        ["LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "BUSY", "CLUSTERDOWN", "OOM", "MISCONF"].contains {
            message.hasPrefix($0 + " ") || message == $0
        }
    }

    var array: [RedisValue]? {
        if case .array(let items) = self { items } else { nil }
    }

    var integer: Int? {
        switch self {
        case .integer(let number): number
        case .string: text.flatMap { Int($0) }
        default: nil
        }
    }
}
