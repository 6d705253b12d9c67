import SerinSpec
/// The ConfigMaps and Secrets a pod template uses, as Flagger's config
/// tracker finds them (volumes, projected volumes, `env[].valueFrom`,
/// `envFrom`): the primary runs on `<name>-primary` copies taken at
/// promotion, so a change in Git reaches the primary only through a
/// release, and a change of their data is a new revision.
public struct ConfigReferences: Hashable, Sendable, Codable {
    public var configMaps: Set<String> = []
    public var secrets: Set<String> = []

    static let suffix = "-primary"

    var isEmpty: Bool { configMaps.isEmpty && secrets.isEmpty }

    init(configMaps: Set<String> = [], secrets: Set<String> = []) {
        self.configMaps = configMaps
        self.secrets = secrets
    }

    /// Every reference in a pod template.
    init(template: JSONValue) {
        var found = ConfigReferences()
        _ = Self.visit(template) { kind, name in
            if kind == .configMap { found.configMaps.insert(name) } else { found.secrets.insert(name) }
            return nil
        }
        self = found
    }

    /// The template with every reference to a tracked config renamed `<name>-primary`.
    func renamed(in template: JSONValue) -> JSONValue {
        Self.visit(template) { kind, name in
            let tracked = kind == .configMap ? configMaps.contains(name) : secrets.contains(name)
            return tracked ? name + Self.suffix : nil
        }
    }

    enum Kind { case configMap, secret }

    /// Walks a pod template; `rename` sees each reference and may give it a new name.
    private static func visit(_ template: JSONValue, _ rename: (Kind, String) -> String?) -> JSONValue {
        // Where a name sits, by the key holding it: `configMap: { name }`,
        // `secret: { secretName }`, `configMapRef`/`configMapKeyRef`: { name }, `secretRef`/`secretKeyRef`: { name }.
        let holders: [String: (Kind, String)] = [
            "configMap": (.configMap, "name"), "configMapRef": (.configMap, "name"), "configMapKeyRef": (.configMap, "name"),
            "secret": (.secret, "secretName"), "secretRef": (.secret, "name"), "secretKeyRef": (.secret, "name"),
        ]
        func walk(_ value: JSONValue, under key: String?) -> JSONValue {
            switch value {
            case .object(var members):
                if let key, let (kind, field) = holders[key] {
                    // Projected volumes name a secret with `name`, not `secretName`.
                    let nameKey = members[field] != nil ? field : "name"
                    if let name = members[nameKey]?.stringValue, let new = rename(kind, name) { members[nameKey] = .string(new) }
                    return .object(members)
                }
                for (child, item) in members { members[child] = walk(item, under: child) }
                return .object(members)
            case .array(let items):
                return .array(items.map { walk($0, under: nil) })
            default:
                return value
            }
        }
        return walk(template, under: nil)
    }
}
