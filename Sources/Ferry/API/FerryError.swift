/// Every error Ferry throws. A struct with an open-ended code, so adding a case breaks no caller.
///
/// The message says what failed and where (a key, a URL with its password removed, a line);
/// `remedy` says what to do next. Neither ever contains a secret.
public struct FerryError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure it is; extensible, compared by name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// An endpoint URL is malformed or names something the backend does not know.
        public static let invalidEndpoint = Code("invalid-endpoint")
        /// A configuration file is wrong: an unknown key, a bad value, a missing variable.
        public static let invalidConfiguration = Code("invalid-configuration")
        /// No transport is registered for the endpoint's scheme.
        public static let unsupportedScheme = Code("unsupported-scheme")
        /// An event cannot be sent as it is (a reserved header name, an empty id...).
        public static let invalidEvent = Code("invalid-event")
        /// A message on the wire is not a well-formed envelope.
        public static let malformedEnvelope = Code("malformed-envelope")
        /// The payload does not decode into the requested type.
        public static let payloadDecoding = Code("payload-decoding")
        /// The event breaks its schema, or its type or version is unknown, or cannot be upcast.
        public static let schemaViolation = Code("schema-violation")
        /// A delivery was acked, retried or dead-lettered twice.
        public static let alreadySettled = Code("already-settled")
        /// The broker refused or did not confirm a publish.
        public static let publishFailed = Code("publish-failed")
        /// The broker cannot be reached, or the connection was lost.
        public static let connectionFailed = Code("connection-failed")
        /// The subscription or publisher was closed.
        public static let closed = Code("closed")
        /// A feature is not available on this backend (yet).
        public static let unsupported = Code("unsupported")
        /// The operation did not finish in time.
        public static let timeout = Code("timeout")
    }

    public var code: Code
    public var message: String
    public var remedy: String?
    /// True when the same operation may succeed if tried again.
    public var isRetriable: Bool
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, remedy: String? = nil, isRetriable: Bool = false,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.isRetriable = isRetriable
        self.file = file
        self.line = line
    }

    public var description: String {
        remedy.map { "\(message) (\($0))" } ?? message
    }
}
