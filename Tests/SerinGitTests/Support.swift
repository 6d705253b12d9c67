import Foundation
import SerinEngine
import SerinSpec
import SerinTesting
@testable import SerinGit

/// A source's pipeline on a Git fetcher, with no target: each valid
/// revision comes out of the stream (and the source is Ready once it passed).
func pipeline(_ spec: GitSourceSpec, cache: TemporaryDirectory, backoff: Backoff = Backoff())
    throws -> (SourcePipeline<ContinuousClock>, AsyncStream<DesiredState>) {
    let fetcher = try GitFetcher(spec: spec, cacheDirectory: cache.path + "/repo.git", snapshots: RevisionSnapshots(stateDirectory: cache.path))
    let (stream, delivered) = AsyncStream<DesiredState>.makeStream()
    let pipeline = SourcePipeline(configuration: .init(name: spec.name, path: spec.path, interval: spec.interval, targets: [], backoff: backoff),
                                  stages: .init(fetcher: fetcher, renderer: PlainRenderer(), validator: Validator()), clock: ContinuousClock(),
                                  deliver: { delivered.yield($0) })
    return (pipeline, stream)
}

let workload = """
apiVersion: serin.dev/v1alpha1
kind: Workload
metadata: { name: web }
spec:
  replicas: 1
  service: { port: 18080 }
  template:
    command: ["python3", "app.py"]
    env: [{ name: MESSAGE, value: "MSG" }]

"""

func manifests(_ message: String = "hello") -> [String: String] {
    ["deploy/web.yaml": workload.replacingOccurrences(of: "MSG", with: message), "app/app.py": "print('\(message)')\n"]
}

/// A mirror of `url` in a fresh temporary folder.
func mirror(_ url: String, ref: String = "branch:main", path: String = "deploy", credentials: String? = nil,
            knownHosts: String? = nil, timeout: Duration = .seconds(20),
            limits: GitTreeLimits = GitTreeLimits()) throws -> (SourceMirror, TemporaryDirectory) {
    let cache = try TemporaryDirectory(prefix: "serin-mirror")
    let spec = GitSourceSpec(name: "app", url: try GitURL(url), reference: try GitReference(parsing: ref), path: path,
                             timeout: timeout, credentialsFile: credentials, knownHostsFile: knownHosts, limits: limits)
    return (try SourceMirror(spec: spec, directory: cache.path + "/repo.git"), cache)
}

extension PollOutcome {
    var result: SyncResult? {
        switch self {
        case .updated(let result), .invalid(let result): return result
        case .unchanged: return nil
        }
    }

    var isUnchanged: Bool { if case .unchanged = self { return true } else { return false } }
    var isInvalid: Bool { if case .invalid = self { return true } else { return false } }
}
