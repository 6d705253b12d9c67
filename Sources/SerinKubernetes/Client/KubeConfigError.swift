/// A kubeconfig or in-cluster configuration Serin cannot use: what is
/// wrong and where, in one line.
public struct KubeConfigError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
