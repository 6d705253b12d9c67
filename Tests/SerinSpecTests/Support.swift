import Foundation
@testable import SerinSpec

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The YAML files of one fixture folder, by name.
    static func files(_ folder: String) -> [String] {
        let path = "\(root)/\(folder)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(path)/\($0)" }
    }

    static func name(_ path: String) -> String { (path as NSString).lastPathComponent }
}

/// Loads YAML text as the file `name` and validates it.
func validate(_ yaml: String, file: String = "test.yaml", platform: PlatformKind = .local) -> [Diagnostic] {
    Validator(platform: platform).validate(ManifestLoader().load(text: yaml, file: file))
}

func errors(_ yaml: String, file: String = "test.yaml") -> [String] {
    validate(yaml, file: file).errors.map(\.description)
}

/// Plans of every Canary in the text, after validating it.
func plans(_ yaml: String) -> (plans: [Plan], diagnostics: [Diagnostic]) {
    let manifests = ManifestLoader().load(text: yaml, file: "test.yaml")
    let diagnostics = Validator().validate(manifests)
    let compiler = PlanCompiler(manifests: manifests)
    return (manifests.canaries.compactMap { compiler.compile($0).plan }, diagnostics)
}

let workloadYAML = """
apiVersion: serin.dev/v1alpha1
kind: Workload
metadata: { name: web }
spec:
  replicas: 2
  service: { port: 8080 }
  template:
    command: ["python3", "app.py"]
    args: ["--port", "$(PORT)"]
    workingDir: app
    env: [{ name: ERROR_RATE, value: "0" }]
    readinessProbe: { httpGet: { path: /healthz }, periodSeconds: 1, failureThreshold: 3 }
    livenessProbe:  { httpGet: { path: /healthz }, periodSeconds: 5, failureThreshold: 3 }
    terminationGracePeriodSeconds: 5
"""

/// A serin Canary on the `web` Workload with this analysis body (indented
/// under `analysis:`), preceded by the Workload.
func canaryYAML(analysis: String, extraSpec: String = "") -> String {
    """
    \(workloadYAML)
    ---
    apiVersion: serin.dev/v1alpha1
    kind: Canary
    metadata: { name: web }
    spec:
      targetRef: { apiVersion: serin.dev/v1alpha1, kind: Workload, name: web }
    \(extraSpec)  analysis:
    \(analysis.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
    """
}

/// The `web` Workload and a serin Canary on it that names `strategy`, with
/// an optional analysis body (an empty `analysis:` is null, as if absent).
func strategyCanaryYAML(_ strategy: String, analysis: String? = nil) -> String {
    canaryYAML(analysis: analysis ?? "", extraSpec: "  strategyRef: { name: \(strategy) }\n")
}
