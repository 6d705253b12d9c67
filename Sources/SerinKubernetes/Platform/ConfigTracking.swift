import Foundation
import SerinSpec

/// The ConfigMaps and Secrets a pod template uses, as Flagger's config
/// tracker finds them (volumes, projected volumes, `env[].valueFrom`,
/// `envFrom`, in containers and init containers): the primary runs on
/// `<name>-primary` copies taken at promotion, so a change reaches the
/// primary only through a release, and a change of their data is a new
/// revision.
public struct ConfigReferences: Hashable, Sendable, Codable {
    public var configMaps: Set<String> = []
    public var secrets: Set<String> = []
    /// Names referenced only with `optional: true`, as `configmap/NAME` or `secret/NAME`.
    public var optional: Set<String> = []
    /// Flagger's checksum of each tracked config's data, by `configmap/NAME`
    /// or `secret/NAME` (the Canary's `status.trackedConfigs`).
    public var checksums: [String: String] = [:]

    static let suffix = "-primary"
    /// A ConfigMap or Secret annotated `flagger.app/config-tracking: disabled` is not tracked.
    static let trackingAnnotation = "flagger.app/config-tracking"

    var isEmpty: Bool { configMaps.isEmpty && secrets.isEmpty }

    public init(configMaps: Set<String> = [], secrets: Set<String> = []) {
        self.configMaps = configMaps
        self.secrets = secrets
    }

    enum CodingKeys: String, CodingKey { case configMaps, secrets, optional, checksums }

    /// States saved before optional references and checksums were kept still load.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        configMaps = try container.decode(Set<String>.self, forKey: .configMaps)
        secrets = try container.decode(Set<String>.self, forKey: .secrets)
        optional = try container.decodeIfPresent(Set<String>.self, forKey: .optional) ?? []
        checksums = try container.decodeIfPresent([String: String].self, forKey: .checksums) ?? [:]
    }

    /// Every reference in a pod template.
    init(template: JSONValue) {
        var found = ConfigReferences()
        var required: Set<String> = []
        _ = Self.visit(template) { kind, name, optional in
            let key = Self.key(kind, name)
            if kind == .configMap { found.configMaps.insert(name) } else { found.secrets.insert(name) }
            if !optional { required.insert(key) }
            return nil
        }
        found.optional = Set(found.configMaps.map { Self.key(.configMap, $0) } + found.secrets.map { Self.key(.secret, $0) }).subtracting(required)
        self = found
    }

    static func key(_ kind: Kind, _ name: String) -> String { (kind == .configMap ? "configmap/" : "secret/") + name }

    func isOptional(_ kind: Kind, _ name: String) -> Bool { optional.contains(Self.key(kind, name)) }

    /// Tracked as Flagger tracks: the config's data checksum is recorded;
    /// a config that is not tracked is dropped (and not renamed for the primary).
    mutating func track(_ kind: Kind, _ name: String, data: JSONValue?) {
        checksums[Self.key(kind, name)] = Self.checksum(data ?? .object([:]))
    }

    mutating func drop(_ kind: Kind, _ name: String) {
        if kind == .configMap { configMaps.remove(name) } else { secrets.remove(name) }
        checksums[Self.key(kind, name)] = nil
    }

    /// A checksum of the config's data, as Flagger keeps one per tracked
    /// config (16 hex digits, as Flagger's); the project's one digest of
    /// canonical JSON rather than Flagger's SHA-256: the value is only ever
    /// compared with itself.
    static func checksum(_ data: JSONValue) -> String {
        ContentDigest.hex((try? data.canonicalData()) ?? Data("{}".utf8))
    }

    /// The template with every reference to a tracked config renamed `<name>-primary`.
    func renamed(in template: JSONValue) -> JSONValue {
        Self.visit(template) { kind, name, _ in
            let tracked = kind == .configMap ? configMaps.contains(name) : secrets.contains(name)
            return tracked ? name + Self.suffix : nil
        }
    }

    enum Kind { case configMap, secret }

    /// Walks a pod template; `rename` sees each reference (and whether it is optional) and may give it a new name.
    private static func visit(_ template: JSONValue, _ rename: (Kind, String, Bool) -> String?) -> JSONValue {
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
                    let optional = members["optional"]?.boolValue == true
                    if let name = members[nameKey]?.stringValue, let new = rename(kind, name, optional) { members[nameKey] = .string(new) }
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
