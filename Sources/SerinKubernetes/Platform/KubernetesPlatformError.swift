/// What the Kubernetes platform could not do that is not an answer of the
/// apiserver: an object a release needs is missing, a route no gateway
/// accepted, a definition not established in time, a kind Serin does not
/// write, a manifest that is not an object. It names the object.
public struct KubernetesPlatformError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// An object the release reads (a ConfigMap its pod template uses) is not in the cluster.
        case missingObject
        /// The gateways did not accept a route within the time allowed.
        case notAccepted
        /// A CustomResourceDefinition was not established within the time allowed.
        case notEstablished
        /// Serin does not write this kind, or the Canary has no routing.
        case unsupported
        /// A manifest is not a Kubernetes object.
        case invalidManifest
    }

    public let kind: Kind
    /// `Kind namespace/name` of the object at fault, when one is.
    public let object: String?
    public let message: String

    public init(_ kind: Kind, object: String? = nil, _ message: String) {
        self.kind = kind
        self.object = object
        self.message = message
    }

    public var description: String { message }
}
