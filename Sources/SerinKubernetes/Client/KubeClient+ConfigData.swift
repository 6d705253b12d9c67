import Foundation

extension KubeClient {
    /// A ConfigMap's data (its binaryData decoded as UTF-8 where it is text)
    /// or a Secret's data decoded: what Flux's `substituteFrom` and a
    /// HelmRelease's `valuesFrom` read. Nil when the object does not exist.
    public func configData(kind: String, namespace: String, name: String) async throws -> [String: String]? {
        switch kind {
        case "ConfigMap":
            guard let map = try await resources(ConfigMap.self).getIfPresent(name, namespace: namespace) else { return nil }
            var data = map.data ?? [:]
            for (key, value) in map.binaryData ?? [:] {
                if let bytes = Data(base64Encoded: value), let text = String(data: bytes, encoding: .utf8) { data[key] = text }
            }
            return data
        case "Secret":
            guard let secret = try await resources(Secret.self).getIfPresent(name, namespace: namespace) else { return nil }
            var data: [String: String] = [:]
            for key in (secret.data ?? [:]).keys {
                if let bytes = secret.value(key), let text = String(data: bytes, encoding: .utf8) { data[key] = text }
            }
            return data
        default:
            throw KubernetesPlatformError(.unsupported, "values and variables come from a ConfigMap or a Secret, not a \(kind)")
        }
    }

    private struct Version: Decodable {
        var gitVersion: String
    }

    /// `GET /version`: the apiserver's version (`v1.20.2`).
    public func serverVersion() async throws(KubeError) -> String {
        let answer = try await send(Call(method: .GET, path: "/version", idempotent: true, verb: "discovery"))
        do {
            return try JSONDecoder().decode(Version.self, from: answer.body).gitVersion
        } catch {
            throw KubeError.decoding("/version does not decode: \(error)", request: "GET /version")
        }
    }

    /// Every group version the apiserver serves (`v1`, `apps/v1`, …).
    public func servedVersions() async throws(KubeError) -> [String] {
        var versions = ["v1"]
        for group in try await apiGroups() {
            versions += group.versions.map(\.groupVersion)
        }
        return versions
    }
}
