import CHiredis

/// Facts about the hiredis headers Ferry was built against (hiredis 0.14 has no run-time query).
public enum HiredisRuntime {
    public static var version: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
