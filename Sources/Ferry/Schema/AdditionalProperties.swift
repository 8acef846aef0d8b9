/// What a JSON Schema object says about properties it does not list.
public indirect enum AdditionalProperties: Sendable, Hashable {
    case allowed
    case forbidden
    case schema(JSONSchema)
}
