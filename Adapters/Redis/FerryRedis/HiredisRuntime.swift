import CHiredis

/// Facts about the hiredis headers Ferry was built against (hiredis 0.14 has no run-time query).
package enum HiredisRuntime {
    package static var version: String { "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
