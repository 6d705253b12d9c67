import NIOConcurrencyHelpers

/// How many HTTP requests a client sent, by verb: benchmarks read it to
/// show requests per tick, tests to show an idle informer sends none.
/// Retries count; a watch counts once however long it streams.
public final class RequestCounter: Sendable {
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        public var byVerb: [String: Int] = [:]
        /// The same requests by RBAC access (discovery left out).
        public var byAccess: [Access: Int] = [:]

        public init() {}

        public var total: Int { byVerb.values.reduce(0, +) }

        public subscript(verb: String) -> Int { byVerb[verb, default: 0] }

        /// What was sent between `earlier` and this count.
        public func since(_ earlier: Counts) -> Counts {
            var delta = Counts()
            for (verb, count) in byVerb where count != earlier[verb] { delta.byVerb[verb] = count - earlier[verb] }
            for (access, count) in byAccess where count != earlier.byAccess[access, default: 0] {
                delta.byAccess[access] = count - earlier.byAccess[access, default: 0]
            }
            return delta
        }

        public var description: String {
            "\(total) (" + byVerb.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
    }

    /// One kind of request, in RBAC's terms: the verb it needs and the
    /// resource (`group/plural[/subresource]`, the core group empty).
    public struct Access: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var verb: String
        public var resource: String

        public init(verb: String, resource: String) {
            self.verb = verb
            self.resource = resource
        }

        public var description: String { "\(verb) \(resource)" }

        public static func < (lhs: Access, rhs: Access) -> Bool { (lhs.resource, lhs.verb) < (rhs.resource, rhs.verb) }

        /// The access of a call (server-side apply is `apply`, see `rbac`);
        /// discovery (`/api`, `/apis`) is open to every authenticated user.
        init?(verb: String, path: String) {
            var parts = path.split(separator: "/").map(String.init)
            let group: String
            if parts.first == "api", parts.count >= 2 {
                group = ""
                parts.removeFirst(2)
            } else if parts.first == "apis", parts.count >= 3 {
                group = parts[1]
                parts.removeFirst(3)
            } else {
                return nil
            }
            guard !parts.isEmpty, verb != "discovery" else { return nil }
            if parts[0] == "namespaces", parts.count >= 3 { parts.removeFirst(2) }
            let resource = parts.count >= 3 ? "\(parts[0])/\(parts[2])" : parts[0]
            self.verb = verb
            self.resource = "\(group)/\(resource)"
        }
    }

    /// The RBAC rules `accesses` need: server-side apply is a `patch`,
    /// and a `create` for what is not there yet (not for a subresource).
    public static func rbac(_ accesses: some Sequence<Access>) -> Set<Access> {
        var rules: Set<Access> = []
        for access in accesses {
            guard access.verb == "apply" else {
                rules.insert(access)
                continue
            }
            rules.insert(Access(verb: "patch", resource: access.resource))
            // `group/plural`, not `group/plural/subresource`.
            if access.resource.split(separator: "/", omittingEmptySubsequences: false).count == 2 {
                rules.insert(Access(verb: "create", resource: access.resource))
            }
        }
        return rules
    }

    private let counts = NIOLockedValueBox(Counts())

    public init() {}

    func record(_ verb: String, path: String) {
        let access = Access(verb: verb, path: path)
        counts.withLockedValue { counts in
            counts.byVerb[verb, default: 0] += 1
            if let access { counts.byAccess[access, default: 0] += 1 }
        }
    }

    public var current: Counts { counts.withLockedValue { $0 } }
}
