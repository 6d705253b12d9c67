import Foundation
import Yams

extension KubeConfig {
    /// The context `context` (or the current one) of the kubeconfig at
    /// `path`; without a path, of `$KUBECONFIG` (a colon-separated list,
    /// merged as kubectl does: the first file to name an entry wins) or
    /// `~/.kube/config`. Relative file paths in it are relative to the file
    /// that names them.
    public static func load(path: String? = nil, context: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeConfigError) -> KubeConfig {
        let paths: [String]
        if let path {
            paths = [path]
        } else if let list = environment["KUBECONFIG"], !list.isEmpty {
            paths = list.split(separator: ":").map(String.init)
        } else if let home = environment["HOME"] {
            paths = ["\(home)/.kube/config"]
        } else {
            throw KubeConfigError("no kubeconfig: set KUBECONFIG or create ~/.kube/config")
        }
        var files: [(file: KubeConfigFile, directory: String)] = []
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                if paths.count > 1 { continue }  // kubectl skips missing files of a list
                throw KubeConfigError("\(path): cannot read the kubeconfig file; check KUBECONFIG")
            }
            let file = try KubeConfigFile.parse(text, path: path)
            files.append((file, (path as NSString).deletingLastPathComponent))
        }
        guard !files.isEmpty else { throw KubeConfigError("none of the kubeconfig files \(paths.joined(separator: ", ")) can be read") }
        return try resolve(files, context: context, environment: environment)
    }

    /// Parses kubeconfig text; relative paths in it are relative to `directory`.
    public static func parse(_ text: String, directory: String = ".", context: String? = nil,
                             environment: [String: String] = [:]) throws(KubeConfigError) -> KubeConfig {
        try resolve([(try KubeConfigFile.parse(text, path: "kubeconfig"), directory)], context: context, environment: environment)
    }

    private static func resolve(_ files: [(file: KubeConfigFile, directory: String)], context requested: String?,
                                environment: [String: String]) throws(KubeConfigError) -> KubeConfig {
        guard let contextName = requested ?? files.lazy.compactMap({ $0.file.currentContext.flatMap { $0.isEmpty ? nil : $0 } }).first else {
            throw KubeConfigError("the kubeconfig names no current-context; pass a context name")
        }
        guard let (context, _) = first(files, \.contexts, contextName) else {
            throw KubeConfigError("the kubeconfig has no context \"\(contextName)\"")
        }
        guard let clusterName = context.cluster, let (cluster, clusterDirectory) = first(files, \.clusters, clusterName) else {
            throw KubeConfigError("context \"\(contextName)\": the kubeconfig has no cluster \"\(context.cluster ?? "")\"")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeConfigError("cluster \"\(clusterName)\" has no server address")
        }
        var credentials = Credentials()
        if let userName = context.user, !userName.isEmpty {
            guard let (user, userDirectory) = first(files, \.users, userName) else {
                throw KubeConfigError("context \"\(contextName)\": the kubeconfig has no user \"\(userName)\"")
            }
            credentials.token = user.token
            credentials.tokenFile = user.tokenFile.map { absolute($0, in: userDirectory) }
            credentials.clientCertificate = try pem(data: user.clientCertificateData, file: user.clientCertificate,
                                                    directory: userDirectory, what: "client-certificate of user \"\(userName)\"")
            credentials.clientKey = try pem(data: user.clientKeyData, file: user.clientKey,
                                            directory: userDirectory, what: "client-key of user \"\(userName)\"")
            credentials.username = user.username
            credentials.password = user.password
            if user.exec != nil, credentials.token == nil, credentials.tokenFile == nil, credentials.clientCertificate == nil {
                throw KubeConfigError("user \"\(userName)\" uses an exec credential plugin, which Serin does not run; use a token or a client certificate")
            }
        }
        return KubeConfig(
            server: server,
            certificateAuthority: try pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
                                          directory: clusterDirectory, what: "certificate-authority of cluster \"\(clusterName)\""),
            insecureSkipTLSVerify: cluster.insecureSkipTLSVerify ?? false,
            tlsServerName: cluster.tlsServerName,
            credentials: credentials,
            namespace: context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default")
    }

    private static func first<T>(_ files: [(file: KubeConfigFile, directory: String)], _ list: KeyPath<KubeConfigFile, [KubeConfigFile.Named<T>]?>,
                                 _ name: String) -> (T, String)? {
        for (file, directory) in files {
            if let entry = file[keyPath: list]?.first(where: { $0.name == name }) { return (entry.value, directory) }
        }
        return nil
    }

    static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    private static func pem(data: String?, file: String?, directory: String, what: String) throws(KubeConfigError) -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let bytes = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw KubeConfigError("\(what): the -data field is not base64")
            }
            return Array(bytes)
        }
        guard let file, !file.isEmpty else { return nil }
        let path = absolute(file, in: directory)
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw KubeConfigError("\(what): cannot read \(path)")
        }
        return Array(bytes)
    }
}
