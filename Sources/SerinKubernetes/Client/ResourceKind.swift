/// Where a kind of object lives in the API: what the URL needs (group,
/// version, plural, namespaced) and what a body says (apiVersion, kind).
public struct ResourceKind: Hashable, Sendable, CustomStringConvertible {
    /// "" for the core group.
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// "v1" for the core group, "group/version" for the others.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { group.isEmpty ? "\(plural)" : "\(plural).\(group)" }

    /// Splits "apps/v1" into ("apps", "v1") and "v1" into ("", "v1").
    public static func split(apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.lastIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    /// The path of the collection or of one object, without a query.
    func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(PathEncoding.segment(namespace))" }
        path += "/\(plural)"
        if let name { path += "/\(PathEncoding.segment(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }
}
