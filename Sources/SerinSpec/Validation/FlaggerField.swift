/// What Serin does with one field of a Flagger resource on the Kubernetes
/// platform: honoured (and how), refused at validation (and why), or
/// accepted with a warning that it is not used (and why). Nothing else.
public enum FieldUse: Sendable, Hashable {
    case honoured(String)
    case refused(String)
    case warned(String)

    public var word: String {
        switch self {
        case .honoured: "honoured"
        case .refused: "refused"
        case .warned: "warned"
        }
    }

    public var reason: String {
        switch self {
        case .honoured(let text), .refused(let text), .warned(let text): text
        }
    }
}

/// One field of Flagger 1.44's CRD schema, as the field table lists it.
/// `path` is written as the schema nests it: `[]` for a list's items, `*`
/// for a map's values (`spec.analysis.match[].headers.*.exact`).
public struct FlaggerField: Sendable, Hashable {
    /// Where the use differs: for some routers (a Canary's provider:
    /// `gatewayapi`, `kubernetes`, `nginx`) or metric providers (a
    /// MetricTemplate's `provider.type`).
    public struct Variant: Sendable, Hashable {
        public var when: [String]
        public var use: FieldUse
    }

    public var kind: String
    public var path: String
    public var use: FieldUse
    public var variants: [Variant]
    /// The entry stands for every field under it, which the table does not list.
    public var subtree: Bool

    init(_ kind: String, _ path: String, _ use: FieldUse, subtree: Bool = false, unless variants: [Variant] = []) {
        self.kind = kind
        self.path = path
        self.use = use
        self.subtree = subtree
        self.variants = variants
    }

    /// The use for a Canary of this router family, or a template of this provider type.
    public func use(for name: String?) -> FieldUse {
        guard let name else { return use }
        return variants.first { $0.when.contains(name) }?.use ?? use
    }

    /// Whether a concrete field path (`spec.analysis.match[0].headers.x-user.exact`)
    /// is this entry's field (or, for a subtree, lies under it).
    func matches(_ concrete: String) -> Bool {
        Self.match(pattern: Substring(path), concrete: Substring(concrete), subtree: subtree)
    }

    private static func match(pattern: Substring, concrete: Substring, subtree: Bool) -> Bool {
        var pattern = pattern, concrete = concrete
        while !pattern.isEmpty {
            if pattern.hasPrefix("[]") {
                guard concrete.first == "[", let close = concrete.firstIndex(of: "]"),
                      concrete[concrete.index(after: concrete.startIndex)..<close].allSatisfy(\.isNumber) else { return false }
                pattern = pattern.dropFirst(2)
                concrete = concrete[concrete.index(after: close)...]
            } else if pattern.hasPrefix("*") {
                // A map key may hold dots: try every split.
                let rest = pattern.dropFirst()
                guard !concrete.isEmpty else { return false }
                var index = concrete.index(after: concrete.startIndex)
                while true {
                    if match(pattern: rest, concrete: concrete[index...], subtree: subtree) { return true }
                    guard index < concrete.endIndex else { return false }
                    index = concrete.index(after: index)
                }
            } else {
                guard let head = pattern.first, concrete.first == head else { return false }
                pattern = pattern.dropFirst()
                concrete = concrete.dropFirst()
            }
        }
        return concrete.isEmpty || (subtree && (concrete.first == "." || concrete.first == "["))
    }
}

/// The router families a Canary's provider belongs to, for `FlaggerField.variants`.
public enum RouterFamily {
    public static func of(_ provider: String) -> String? {
        if provider.hasPrefix("gatewayapi") { return "gatewayapi" }
        if provider == "kubernetes" || provider == "nginx" { return provider }
        return nil
    }
}
