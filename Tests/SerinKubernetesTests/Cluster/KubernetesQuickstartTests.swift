import Foundation
import SerinTesting
import Testing

@testable import SerinKubernetes

extension ClusterTests {
    /// docs/quickstart-kubernetes.md as written: the commands between
    /// `<!-- kubernetes-walkthrough -->` markers run as one script against
    /// the test cluster (`serin run` on the host, `kubectl`), each output
    /// compared with the guide's.
    ///
    /// What differs from pasting it by hand: the test's own folder instead
    /// of `/tmp/serin-kube`, a namespace of its own instead of
    /// `serin-quickstart` and `serin-system` (the app's and Serin's), a free
    /// port instead of 9797 (with `SERIN_API` pointing the commands at it),
    /// and the test app's image (imported into the cluster, port 8080)
    /// instead of podinfo, which the test cluster cannot pull.
    @Suite struct KubernetesQuickstartTests {
        static let markers = (start: "<!-- kubernetes-walkthrough -->", end: "<!-- /kubernetes-walkthrough -->")

        @Test(.timeLimit(.minutes(6)))
        func theKubernetesQuickstartWorksAsWritten() async throws {
            try await KubeTestCluster.withNamespace { _, namespace in
                let guide = try String(contentsOfFile: Products.repositoryRoot + "/docs/quickstart-kubernetes.md", encoding: .utf8)
                let directory = try TemporaryDirectory(prefix: "serin-kube-quickstart")
                let root = directory.path
                let api = try Loopback.freePort()
                var text = try Walkthrough.section(of: guide, start: Self.markers.start, end: Self.markers.end)
                for (old, new) in [("/tmp/serin-kube", root + "/serin-kube"), ("serin-quickstart", namespace),
                                   ("serin-system", namespace), ("127.0.0.1:9797", "127.0.0.1:\(api)")] {
                    text = text.replacingOccurrences(of: old, with: new)
                }
                let steps = Walkthrough.steps(in: text)
                #expect(steps.count >= 12, "the walkthrough lost its commands: \(steps.map(\.command))")

                // The clone the guide's commands run from, with the example
                // in the test's namespace and on the test app's image.
                let checkout = root + "/checkout"
                try FileManager.default.createDirectory(atPath: checkout + "/examples", withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: Products.repositoryRoot + "/examples/kubernetes", toPath: checkout + "/examples/kubernetes")
                let deploy = checkout + "/examples/kubernetes/deploy/"
                for file in ["namespace.yaml", "deployment.yaml", "canary.yaml"] {
                    try Walkthrough.replace(in: deploy + file, "serin-quickstart", namespace)
                }
                try Walkthrough.replace(in: deploy + "deployment.yaml", "ghcr.io/stefanprodan/podinfo:6.7.1", KubernetesOperatorTests.image)
                try Walkthrough.replace(in: deploy + "deployment.yaml", "imagePullPolicy: IfNotPresent", "imagePullPolicy: Never")
                try Walkthrough.replace(in: deploy + "deployment.yaml", "9898", "8080")
                try Walkthrough.replace(in: deploy + "canary.yaml", "targetPort: 9898", "targetPort: 8080")

                let outputs = root + "/outputs"
                try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
                let script = root + "/walkthrough.sh"
                try Walkthrough.script(steps, outputs: outputs, from: "docs/quickstart-kubernetes.md")
                    .write(toFile: script, atomically: true, encoding: .utf8)

                // serin from this build, kubectl from the test cluster's launcher.
                var path = [(Products.executable("serin") as NSString).deletingLastPathComponent]
                if let kubectl = KubeTestCluster.environment["SERIN_KUBE_KUBECTL"], kubectl.hasPrefix("/") {
                    path.append((kubectl as NSString).deletingLastPathComponent)
                }
                path.append(KubeTestCluster.environment["PATH"] ?? "/usr/bin:/bin")
                let searchPath = path.joined(separator: ":")
                let run = try await withCheckedThrowingContinuation { continuation in
                    // On a thread of its own: the script takes a minute or two.
                    // The `timeout` ends it and what it started if it hangs.
                    Thread {
                        continuation.resume(with: Result {
                            try CommandRun.run("/usr/bin/env", ["-u", "GIT_DIR", "-u", "GIT_WORK_TREE", "PATH=\(searchPath)",
                                                                "SERIN_API=http://127.0.0.1:\(api)",
                                                                "/usr/bin/timeout", "270", "/bin/bash", script],
                                               in: checkout, timeout: .seconds(300))
                        })
                    }.start()
                }
                // Whatever happened, the operator does not outlive the test.
                let down = try CommandRun.run(Products.executable("serin"), ["down", "--force", "--config", root + "/serin-kube/serin.yaml"],
                                              timeout: .seconds(60))
                let operatorLog = (try? String(contentsOfFile: root + "/serin-kube/operator.log", encoding: .utf8)) ?? ""
                #expect(run.status == 0, "the script ended with \(run.status): \(run.stderr)\noperator log:\n\(operatorLog.suffix(3000))")
                let mismatches = Walkthrough.mismatches(steps, outputs: outputs, document: "docs/quickstart-kubernetes.md")
                for mismatch in mismatches { Issue.record("\(mismatch)") }
                if !mismatches.isEmpty || run.status != 0 {
                    Issue.record("files kept in \(root); operator log:\n\(operatorLog.suffix(3000))\nserin down: \(down.stdout)\(down.stderr)")
                } else {
                    directory.remove()
                }
            }
        }
    }
}
