import Foundation

public struct Secret: KubeResource, Hashable {
    public static let resourceKind = ResourceKind(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)

    public var metadata: ObjectMeta
    public var type: String?
    /// Base64, as the apiserver sends it; `value(_:)` decodes.
    public var data: [String: String]?
    /// Write-only plain text; the apiserver moves it into `data`.
    public var stringData: [String: String]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil, stringData: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
        self.stringData = stringData
    }

    public func value(_ key: String) -> Data? {
        data?[key].flatMap { Data(base64Encoded: $0) }
    }
}
