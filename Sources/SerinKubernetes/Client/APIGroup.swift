/// A group and the versions the apiserver serves of it.
public struct APIGroup: Codable, Sendable, Hashable {
    public struct Version: Codable, Sendable, Hashable {
        public var groupVersion: String
        public var version: String
    }

    public var name: String
    public var versions: [Version]
    public var preferredVersion: Version?
}
