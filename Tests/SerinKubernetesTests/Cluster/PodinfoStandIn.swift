import Foundation
import SerinSpec
import SerinTesting

@testable import SerinKubernetes

/// podinfo's layouts and charts on a cluster with no internet: the test
/// app's image under podinfo's names (`serin.local/podinfo:TAG`, made and
/// imported by `scripts/kube/podinfo-image.sh`), which answers podinfo's
/// command line (`./podinfo --port=N`) and its probes (`podcli check http`).
/// Every tag is the same image; a new tag is a new template all the same.
enum PodinfoStandIn {
    static let repository = "serin.local/podinfo"

    /// Makes `repository:TAG` exist in the cluster's containerd for each tag.
    static func importImages(tags: [String]) throws {
        let run = try CommandRun.run("/bin/bash", [Products.repositoryRoot + "/scripts/kube/podinfo-image.sh"] + tags, timeout: .seconds(120))
        guard run.status == 0 else {
            throw KubeTestCluster.TestFailure(description: "scripts/kube/podinfo-image.sh failed: \(run.stderr)")
        }
    }

    /// The first container's image of a Deployment, nil when there is none.
    static func image(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
        let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
        let template: JSONValue = deployment?.spec?.template ?? .null
        return template["spec"]?["containers"]?.arrayValue?.first?["image"]?.stringValue
    }

    /// An env value of a Deployment's first container.
    static func env(_ client: KubeClient, _ namespace: String, _ name: String, _ variable: String) async throws -> String? {
        let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
        let template: JSONValue = deployment?.spec?.template ?? .null
        let env: [JSONValue] = template["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
        return env.first { $0["name"]?.stringValue == variable }?["value"]?.stringValue
    }

    /// The arguments of a Deployment's first container (its `command`).
    static func command(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> [String] {
        let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
        let template: JSONValue = deployment?.spec?.template ?? .null
        return (template["spec"]?["containers"]?.arrayValue?.first?["command"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func readyReplicas(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> Int {
        let deployment: Deployment? = try await client.resources(Deployment.self).getIfPresent(name, namespace: namespace)
        return Int(deployment?.status?.readyReplicas ?? 0)
    }

    static func phase(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> String? {
        let canary: SerinKubernetes.Canary? = try await client.resources(SerinKubernetes.Canary.self).getIfPresent(name, namespace: namespace)
        return canary?.status?.phase
    }

    static func canaryWeight(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> Int? {
        let route: HTTPRouteV1Beta1? = try await client.resources(HTTPRouteV1Beta1.self).getIfPresent(name, namespace: namespace)
        let spec: JSONValue = route?.spec ?? .null
        return FlaggerObjects.canaryWeight(.object(["spec": spec]), service: name)
    }
}

/// `kubectl get canaries --watch` as a user runs it beside a release: every
/// line it prints, for the test to read back the steps it showed.
final class KubectlCanaryWatch: Sendable {
    let process: Process
    let output: String

    init(namespace: String, scratch: TemporaryDirectory) throws {
        guard let kubectl = KubeTestCluster.environment["SERIN_KUBE_KUBECTL"], !kubectl.isEmpty else {
            throw KubeTestCluster.NotConfigured(description: "SERIN_KUBE_KUBECTL is not set: eval the output of `scripts/kube/cluster.sh env`")
        }
        output = scratch.path + "/kubectl-canaries-\(namespace).txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process = Process()
        process.executableURL = URL(fileURLWithPath: kubectl)
        process.arguments = ["get", "canaries", "--namespace", namespace, "--watch"]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
    }

    /// The lines printed so far.
    var lines: [String] {
        ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// (STATUS, WEIGHT) of each line about `name`, in order.
    func steps(of name: String) -> [(phase: String, weight: Int)] {
        lines.compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard columns.count >= 3, columns[0] == name, let weight = Int(columns[2]) else { return nil }
            return (columns[1], weight)
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
