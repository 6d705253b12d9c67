import SerinSpec
/// One operation of a JSON patch.
public struct JSONPatchOperation: Codable, Sendable, Hashable {
    public var op: String
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public static func add(_ path: String, _ value: JSONValue) -> Self { Self(op: "add", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { Self(op: "replace", path: path, value: value) }
    public static func remove(_ path: String) -> Self { Self(op: "remove", path: path) }
    public static func test(_ path: String, _ value: JSONValue) -> Self { Self(op: "test", path: path, value: value) }
}
