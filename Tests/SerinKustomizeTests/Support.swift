import Foundation
@testable import SerinKustomize
import SerinSpec
import Yams

/// The fixtures, the real kustomize, and throwaway snapshots to build from.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The pinned kustomize (`make kustomize` installs it); the tests need the real one.
    static let binary: KustomizeBinary = {
        switch KustomizeBinary.locate() {
        case .success(let binary): return binary
        case .failure(let problem): fatalError("these tests run the real kustomize: \(problem)")
        }
    }()

    static let sandbox = KustomizeSandbox.strongest(for: binary)

    static func builder(_ limits: KustomizeBuilder.Limits = .init()) -> KustomizeBuilder {
        KustomizeBuilder(binary: .success(binary), sandbox: sandbox, limits: limits)
    }

    /// A snapshot holding copies of the named fixture folders at the same paths.
    static func snapshot(_ folders: String...) throws -> TemporaryTree {
        let tree = try TemporaryTree()
        for folder in folders {
            let target = tree.path + "/" + folder
            try FileManager.default.createDirectory(atPath: RepositoryPath.parent(target), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: root + "/" + folder, toPath: target)
        }
        return tree
    }

    /// What the kustomize binary prints for a folder, run directly.
    static func kustomizeBuild(_ directory: String) throws -> String {
        let run = try KustomizeProcess.runSimple(binary.path, ["build", directory], timeout: .seconds(60))
        guard run.status == 0 else { throw KustomizeUnavailable("kustomize build \(directory) failed: \(run.stderr)") }
        return run.stdout
    }

    /// The stream a rendered source applies, as `serin build` prints it.
    static func stream(_ source: RenderedSource) -> String {
        source.texts.map(\.yaml).joined(separator: "---\n")
    }

    /// Each document as a canonical string (keys sorted), to compare objects.
    static func objects(_ yaml: String) throws -> [String] {
        try Yams.compose_all(yaml: yaml).map(canonical)
    }

    static func canonical(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "\(scalar.tag):\(scalar.string)"
        case .sequence(let sequence): return "[" + sequence.map(canonical).joined(separator: ",") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\(canonical($0.key))=\(canonical($0.value))" }.sorted().joined(separator: ",") + "}"
        case .alias: return "*"
        }
    }
}

/// A folder removed when the value goes away.
final class TemporaryTree: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/serin-kustomize-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var files: SnapshotFiles { SnapshotFiles(root: path) }

    func write(_ relative: String, _ text: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: RepositoryPath.parent(full), withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func link(_ relative: String, to target: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: RepositoryPath.parent(full), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
    }

    func request(_ path: String, source: String = "test") -> RenderRequest {
        RenderRequest(source: source, files: files, path: path)
    }
}
