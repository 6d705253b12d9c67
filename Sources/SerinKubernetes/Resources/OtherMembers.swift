import SerinSpec
/// The members of a JSON object that a typed value does not name, kept so
/// that a value read, changed and written back (PUT) loses none of the
/// fields Serin does not model. A type that uses it decodes and encodes its
/// own members with its `CodingKeys`, and the rest through these two calls
/// on the same decoder and encoder.
enum OtherMembers {
    static func decode<Keys: CodingKey & CaseIterable>(from decoder: any Decoder, except known: Keys.Type) throws -> [String: JSONValue] {
        let named = Set(Keys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: AnyKey.self)
        var other: [String: JSONValue] = [:]
        for key in container.allKeys where !named.contains(key.stringValue) {
            other[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        return other
    }

    static func encode(_ other: [String: JSONValue], to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        for (key, value) in other { try container.encode(value, forKey: AnyKey(key)) }
    }
}
