import Foundation

extension KubeJSON {
    /// The value as `type`, through JSON.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }

    /// Any encodable value as JSON.
    public init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(KubeJSON.self, from: JSONEncoder().encode(value))
    }
}
