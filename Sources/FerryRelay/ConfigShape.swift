import CYaml
import Ferry

/// Checks the shape of a configuration file with libyaml's events before Yams builds its tree:
/// mapping keys are plain names and nesting stays shallow, as a relay configuration needs.
/// Yams sorts duplicated keys to report them, and its ordering of nested keys takes time
/// exponential in their depth: a 2 KB file of nested list keys took half a minute.
enum ConfigShape {
    /// Deeper than any relay configuration (top level, routes, a route, its limits, a value).
    static let maxDepth = 8

    /// Throws the first key that is not a scalar, or the first node nested deeper than
    /// `maxDepth`, with its line. Malformed YAML is left for Yams to report.
    static func check(_ yaml: String, file: String) throws(FerryError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let utf8 = Array(yaml.utf8)
        // Each open collection: whether it is a mapping whose next node is a key.
        var open: [(isMapping: Bool, expectsKey: Bool)] = []
        try utf8.withUnsafeBufferPointer { (bytes) throws(FerryError) in
            guard let start = bytes.baseAddress else { return }  // empty: Yams says so
            yaml_parser_set_input_string(&parser, start, bytes.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = event.start_mark.line + 1
                let type = event.type
                if type == YAML_STREAM_END_EVENT { return }
                let isNode =
                    type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT
                    || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT
                if isNode, let parent = open.last, parent.isMapping {
                    if parent.expectsKey && type != YAML_SCALAR_EVENT {
                        throw FerryError(
                            .invalidConfiguration,
                            "\(file):\(line): a key must be a plain name, not a list, a mapping or an alias",
                            remedy: "write each key as 'name: value'")
                    }
                    open[open.count - 1].expectsKey.toggle()
                }
                switch type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    open.append((type == YAML_MAPPING_START_EVENT, true))
                    if open.count > maxDepth {
                        throw FerryError(
                            .invalidConfiguration, "\(file):\(line): nested deeper than \(maxDepth) levels",
                            remedy: "a relay configuration needs at most \(maxDepth) (see Config/relay.example.yaml)")
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    _ = open.popLast()
                default: break
                }
            }
        }
    }
}
