/// Schema Registry's compatibility modes, with their meaning for event versions.
public enum CompatibilityMode: String, Sendable, CaseIterable {
    /// Consumers of the new version read events of the previous one (the usual default).
    case backward = "BACKWARD"
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    /// Consumers of the previous version read events of the new one.
    case forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE"
    /// Both.
    case full = "FULL"
    case fullTransitive = "FULL_TRANSITIVE"
    /// No check: any change is accepted.
    case disabled = "NONE"

    var checksBackward: Bool { [.backward, .backwardTransitive, .full, .fullTransitive].contains(self) }
    var checksForward: Bool { [.forward, .forwardTransitive, .full, .fullTransitive].contains(self) }
    /// Against every earlier version, not only the previous one.
    var isTransitive: Bool { rawValue.hasSuffix("_TRANSITIVE") }
}
