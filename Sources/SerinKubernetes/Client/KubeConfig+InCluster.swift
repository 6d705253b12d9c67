import Foundation

extension KubeConfig {
    /// Where a pod finds its service account; tests point it elsewhere.
    public struct InClusterPaths: Sendable, Hashable {
        public var token: String
        public var certificateAuthority: String
        public var namespace: String

        public init(directory: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
            token = "\(directory)/token"
            certificateAuthority = "\(directory)/ca.crt"
            namespace = "\(directory)/namespace"
        }
    }

    /// The configuration of a pod: the apiserver from
    /// KUBERNETES_SERVICE_HOST/PORT, the service account's token (as a file,
    /// re-read when it rotates), CA and namespace.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 paths: InClusterPaths = InClusterPaths()) throws(KubeConfigError) -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set")
        }
        guard FileManager.default.isReadableFile(atPath: paths.token) else {
            throw KubeConfigError("\(paths.token): no service account token; is automountServiceAccountToken off?")
        }
        guard let ca = FileManager.default.contents(atPath: paths.certificateAuthority) else {
            throw KubeConfigError("\(paths.certificateAuthority): cannot read the cluster's CA")
        }
        let namespace = (try? String(contentsOfFile: paths.namespace, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // An IPv6 address needs brackets in a URL.
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubeConfig(server: "https://\(hostPart):\(port)", certificateAuthority: Array(ca),
                          credentials: Credentials(tokenFile: paths.token),
                          namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default")
    }
}
