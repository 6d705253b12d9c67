import Foundation
import SerinTemplate

/// `.Capabilities`: the cluster's Kubernetes version and API versions, as
/// discovery reports them (the operator passes them), Helm's defaults otherwise.
public struct HelmCapabilities: Sendable {
    /// `v1.20.0`.
    public var kubeVersion: String
    /// Group versions (`apps/v1`) and group/version/kind (`apps/v1/Deployment`).
    public var apiVersions: [String]
    public var helmVersion: String

    public init(kubeVersion: String, apiVersions: [String], helmVersion: String = "v3.18.0") {
        self.kubeVersion = kubeVersion.hasPrefix("v") ? kubeVersion : "v" + kubeVersion
        self.apiVersions = apiVersions
        self.helmVersion = helmVersion
    }

    /// What Serin assumes without a cluster: Helm 3.18's default (its
    /// client-go's Kubernetes version) and the API groups it knows.
    public static let helmDefault = HelmCapabilities(kubeVersion: "v1.33.0", apiVersions: defaultAPIVersions)
    /// What Helm's own tests assume (`helm template` goldens).
    public static let helmTests = HelmCapabilities(kubeVersion: "v1.20.0", apiVersions: defaultAPIVersions)

    static let defaultAPIVersions: [String] = [
        "v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
        "apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1", "apps/v1",
        "authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1", "autoscaling/v2", "autoscaling/v2beta1",
        "autoscaling/v2beta2", "batch/v1", "batch/v1beta1", "certificates.k8s.io/v1", "coordination.k8s.io/v1",
        "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1", "events.k8s.io/v1beta1",
        "flowcontrol.apiserver.k8s.io/v1beta1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "node.k8s.io/v1",
        "node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1",
        "storage.k8s.io/v1", "storage.k8s.io/v1beta1",
    ]

    var parts: (major: String, minor: String) {
        let numbers = kubeVersion.dropFirst().split(separator: ".")
        let minor = numbers.count > 1 ? String(numbers[1].prefix { $0.isNumber }) : "0"
        return (numbers.first.map(String.init) ?? "0", minor)
    }

    var value: Value { .object(CapabilitiesObject(capabilities: self)) }
}

struct CapabilitiesObject: TemplateObject, JSONRepresentable {
    let capabilities: HelmCapabilities
    var type: GoType { .pointer(.named("common.Capabilities", .structure("common.Capabilities"))) }

    func field(_ name: String) -> TemplateField? {
        switch name {
        case "KubeVersion": return .value(.object(KubeVersionObject(capabilities: capabilities)))
        case "APIVersions":
            return .value(.object(VersionSetObject(versions: capabilities.apiVersions)))
        case "HelmVersion": return .value(.dictionary(["Version": .string(capabilities.helmVersion)]))
        default: return nil
        }
    }

    func method(_ name: String) -> TemplateFunction? { nil }

    var printedFields: [(name: String, value: Value)] {
        ["KubeVersion", "APIVersions", "HelmVersion"].compactMap { name in
            if case .value(let value)? = field(name) { return (name, value) }
            return nil
        }
    }

    var jsonValue: Value {
        .dictionary(["KubeVersion": KubeVersionObject(capabilities: capabilities).jsonValue,
                     "APIVersions": .strings(capabilities.apiVersions),
                     "HelmVersion": .dictionary(["version": .string(capabilities.helmVersion)])])
    }
}

/// `.Capabilities.APIVersions`: a list of group versions with `Has`.
struct VersionSetObject: TemplateObject, JSONRepresentable {
    let versions: [String]
    var type: GoType { .named("common.VersionSet", .slice(.string)) }
    func field(_ name: String) -> TemplateField? { nil }

    func method(_ name: String) -> TemplateFunction? {
        guard name == "Has" else { return nil }
        let versions = Set(self.versions)
        return TemplateFunction("Has", [.string]) { arguments, _ in .bool(versions.contains(arguments[0].stringValue ?? "")) }
    }

    var formatted: String? { "[" + versions.joined(separator: " ") + "]" }
    var printedFields: [(name: String, value: Value)] { [] }
    var jsonValue: Value { .strings(versions) }
}

struct KubeVersionObject: TemplateObject, JSONRepresentable {
    let capabilities: HelmCapabilities
    var type: GoType { .pointer(.named("common.KubeVersion", .structure("common.KubeVersion"))) }

    func field(_ name: String) -> TemplateField? {
        switch name {
        case "Version": return .value(.string(capabilities.kubeVersion))
        case "Major": return .value(.string(capabilities.parts.major))
        case "Minor": return .value(.string(capabilities.parts.minor))
        default: return nil
        }
    }

    func method(_ name: String) -> TemplateFunction? {
        let version = capabilities.kubeVersion
        switch name {
        case "GitVersion", "String": return TemplateFunction(name, []) { _, _ in .string(version) }
        default: return nil
        }
    }

    var formatted: String? { capabilities.kubeVersion }
    var printedFields: [(name: String, value: Value)] { [] }
    var jsonValue: Value {
        .dictionary(["Version": .string(capabilities.kubeVersion), "Major": .string(capabilities.parts.major),
                     "Minor": .string(capabilities.parts.minor)])
    }
}

/// `.Files`: the chart's other files, a map with Helm's methods.
enum FilesValue {
    static let type = GoType.named("engine.files", .map(.string, .slice(.uint8)))

    static func make(_ files: [String: String]) -> Value {
        var map = ValueMap(files.mapValues(Value.string), type: type)
        map.methods = methods
        return .map(map)
    }

    static let methods: @Sendable (String, ValueMap) -> TemplateFunction? = { name, map in
        let text: @Sendable (String) -> String? = { map[$0]?.stringValue }
        switch name {
        case "Get":
            return TemplateFunction("Get", [.string]) { a, _ in .string(text(a[0].stringValue ?? "") ?? "") }
        case "GetBytes":
            return TemplateFunction("GetBytes", [.string]) { a, _ in
                .list(ValueList(Array((text(a[0].stringValue ?? "") ?? "").utf8).map { .uint(UInt64($0), .uint8) }, type: .slice(.uint8)))
            }
        case "Glob":
            return TemplateFunction("Glob", [.string]) { a, _ in
                let pattern = a[0].stringValue ?? ""
                var found: [String: String] = [:]
                for key in map.sortedStringKeys where Glob.matches(pattern, key, separator: "/") { found[key] = text(key) }
                return make(found)
            }
        case "Lines":
            return TemplateFunction("Lines", [.string]) { a, _ in
                guard var content = text(a[0].stringValue ?? ""), !content.isEmpty else { return .strings([]) }
                if content.hasSuffix("\n") { content.removeLast() }
                return .strings(content.components(separatedBy: "\n"))
            }
        case "AsConfig":
            return TemplateFunction("AsConfig", []) { _, _ in
                var entries: [String: Value] = [:]
                for key in map.sortedStringKeys { entries[String(key.split(separator: "/").last ?? "")] = .string(text(key) ?? "") }
                let yaml = (try? GoYAMLEncoder.encode(.map(ValueMap(entries, type: .map(.string, .string))))) ?? ""
                return .string(yaml.hasSuffix("\n") ? String(yaml.dropLast()) : yaml)
            }
        case "AsSecrets":
            return TemplateFunction("AsSecrets", []) { _, _ in
                var entries: [String: Value] = [:]
                for key in map.sortedStringKeys {
                    entries[String(key.split(separator: "/").last ?? "")] = .string(Data((text(key) ?? "").utf8).base64EncodedString())
                }
                let yaml = (try? GoYAMLEncoder.encode(.map(ValueMap(entries, type: .map(.string, .string))))) ?? ""
                return .string(yaml.hasSuffix("\n") ? String(yaml.dropLast()) : yaml)
            }
        default:
            return nil
        }
    }
}

/// `.Release`.
public struct HelmReleaseInfo: Sendable {
    public var name: String
    public var namespace: String
    public var revision: Int
    public var isInstall: Bool
    public var isUpgrade: Bool

    public init(name: String, namespace: String, revision: Int = 1, isInstall: Bool = true, isUpgrade: Bool = false) {
        self.name = name
        self.namespace = namespace
        self.revision = revision
        self.isInstall = isInstall
        self.isUpgrade = isUpgrade
    }

    var value: Value {
        .dictionary(["Name": .string(name), "Namespace": .string(namespace), "IsUpgrade": .bool(isUpgrade),
                     "IsInstall": .bool(isInstall), "Revision": .int(revision), "Service": .string("Helm")])
    }
}
