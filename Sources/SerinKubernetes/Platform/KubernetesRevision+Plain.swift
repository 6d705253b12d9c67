import SerinSpec

extension KubernetesRevision {
    /// The revision id of a Deployment no Canary targets, from Git's
    /// document: what its `serin.dev/revision` says once the platform deployed it.
    public static func plainID(of deployment: JSONValue) -> String {
        identify(deployment["spec"]?["template"] ?? .null)
    }
}
