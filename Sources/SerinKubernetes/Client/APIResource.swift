/// A resource the apiserver serves, from its discovery documents.
public struct APIResource: Codable, Sendable, Hashable {
    public var name: String
    public var singularName: String?
    public var namespaced: Bool
    public var kind: String
    public var verbs: [String]?
}
