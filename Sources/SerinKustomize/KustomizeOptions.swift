/// The fields of Flux's `Kustomization` that a source in `serin.yaml` may
/// set, applied on top of the path's own build as kustomize-controller
/// applies them: `targetNamespace`, `namePrefix`, `nameSuffix`, `images`,
/// `patches` and `components` are written into the (generated or edited)
/// kustomization before the build; `postBuild` substitution runs on each
/// built object; `commonMetadata` is set on each object's metadata last.
public struct KustomizeOptions: Sendable, Hashable, Codable {
    public var targetNamespace: String?
    public var namePrefix: String?
    public var nameSuffix: String?
    public var commonMetadata: CommonMetadata?
    public var images: [Image]
    public var patches: [Patch]
    public var components: [String]
    public var postBuild: PostBuild?

    public init(targetNamespace: String? = nil, namePrefix: String? = nil, nameSuffix: String? = nil,
                commonMetadata: CommonMetadata? = nil, images: [Image] = [], patches: [Patch] = [],
                components: [String] = [], postBuild: PostBuild? = nil) {
        self.targetNamespace = targetNamespace
        self.namePrefix = namePrefix
        self.nameSuffix = nameSuffix
        self.commonMetadata = commonMetadata
        self.images = images
        self.patches = patches
        self.components = components
        self.postBuild = postBuild
    }

    public struct CommonMetadata: Sendable, Hashable, Codable {
        public var labels: [String: String]
        public var annotations: [String: String]

        public init(labels: [String: String] = [:], annotations: [String: String] = [:]) {
            self.labels = labels
            self.annotations = annotations
        }
    }

    /// kustomize's image override: `name` is matched, the rest replaces.
    public struct Image: Sendable, Hashable, Codable {
        public var name: String
        public var newName: String?
        public var newTag: String?
        public var digest: String?

        public init(name: String, newName: String? = nil, newTag: String? = nil, digest: String? = nil) {
            self.name = name
            self.newName = newName
            self.newTag = newTag
            self.digest = digest
        }
    }

    /// An inline strategic-merge or JSON 6902 patch and the objects it targets.
    public struct Patch: Sendable, Hashable, Codable {
        public var patch: String
        public var target: Selector?

        public init(patch: String, target: Selector? = nil) {
            self.patch = patch
            self.target = target
        }
    }

    public struct Selector: Sendable, Hashable, Codable {
        public var group: String?
        public var version: String?
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var labelSelector: String?
        public var annotationSelector: String?

        public init(group: String? = nil, version: String? = nil, kind: String? = nil, name: String? = nil,
                    namespace: String? = nil, labelSelector: String? = nil, annotationSelector: String? = nil) {
            self.group = group
            self.version = version
            self.kind = kind
            self.name = name
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.annotationSelector = annotationSelector
        }
    }

    public struct PostBuild: Sendable, Hashable, Codable {
        /// Inline variables; they override those read from `substituteFrom`.
        public var substitute: [String: String]
        public var substituteFrom: [SubstituteReference]
        /// Flux's `substituteStrategy: Always`: substitute even with no
        /// variable defined, so that `${var:=default}` takes its default.
        public var always: Bool
        /// A `${var}` without a default whose variable is not set fails the
        /// build instead of becoming empty (Flux's StrictPostBuildSubstitutions).
        public var strict: Bool

        public init(substitute: [String: String] = [:], substituteFrom: [SubstituteReference] = [],
                    always: Bool = false, strict: Bool = false) {
            self.substitute = substitute
            self.substituteFrom = substituteFrom
            self.always = always
            self.strict = strict
        }
    }

    public struct SubstituteReference: Sendable, Hashable, Codable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
            case configMap = "ConfigMap"
            case secret = "Secret"
        }

        public var kind: Kind
        public var name: String
        /// A missing object counts as empty instead of failing the build.
        public var optional: Bool

        public init(kind: Kind, name: String, optional: Bool = false) {
            self.kind = kind
            self.name = name
            self.optional = optional
        }

        public var description: String { "\(kind.rawValue)/\(name)" }
    }

    /// Nothing set: a flat folder can stay with the plain renderer.
    public var isEmpty: Bool { self == KustomizeOptions() }

    /// Something is written into the kustomization before the build.
    var editsKustomization: Bool {
        targetNamespace != nil || namePrefix != nil || nameSuffix != nil || !images.isEmpty || !patches.isEmpty || !components.isEmpty
    }

    /// The names kustomize-controller accepts for a variable:
    /// `^[_[:alpha:]][_[:alpha:][:digit:]]*$`, ASCII classes as in Go's regexp.
    public static func isVariableName(_ name: String) -> Bool {
        func letter(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "_") || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) }
        guard let first = name.utf8.first, letter(first) else { return false }
        return name.utf8.allSatisfy { letter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A component or base given as a local path inside the repository
    /// (Flux's `IsLocalRelativePath`): no URL, no absolute path.
    public static func isLocalRelativePath(_ path: String) -> Bool {
        let lower = path.lowercased()
        for prefix in ["git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/"]
        where prefix.count < lower.count && lower.hasPrefix(prefix) {
            return false
        }
        if lower.hasPrefix("file://") { return !lower.dropFirst("file://".count).hasPrefix("/") }
        return !path.hasPrefix("/")
    }
}
