import ArgumentParser
import Foundation
import SerinSpec

/// Options and steps shared by `validate` and `plan`.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files or folders (read recursively: *.yaml, *.yml; a folder with a kustomization.yaml, or one further down, is built with kustomize first).")
    var paths: [String]

    @Option(help: "The platform the manifests are meant for: local or kubernetes. Decides which fields are reported as ignored.")
    var platform: PlatformKind = .local

    /// Loads and validates; exits 2 when a path cannot be read.
    func loadAndValidate() async throws -> (Manifests, [Diagnostic]) {
        let (manifests, diagnostics, _) = try await loadValidateAndPlan()
        return (manifests, diagnostics)
    }

    /// Folders that hold a kustomization are built first (the render stage,
    /// as the operator runs it); a failed build is one error at the
    /// kustomization. Other paths are read as they are.
    func loadValidateAndPlan() async throws -> (Manifests, [Diagnostic], [Plan]) {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            Output.error("\(path): no such file or directory")
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        var manifests = Manifests()
        var plain: [String] = []
        for path in paths {
            let build = try SourceBuild(path)
            guard (try? build.layout()) ?? .plain != .plain else {
                plain.append(path)
                continue
            }
            do {
                manifests.append(contentsOf: ManifestLoader().load(try await build.render()))
            } catch let failure as RenderFailure {
                manifests.diagnostics.append(.error(at: failure.position ?? SourcePosition(file: path), failure.message))
            }
        }
        // A folder of plain files that declares a HelmRelease renders too, as
        // the operator renders it: what is validated and planned is the
        // chart's objects, not the HelmRelease.
        var asWritten: [String] = []
        for path in plain {
            var isDirectory: ObjCBool = false
            let folder = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            guard folder, ManifestLoader().load(paths: [path]).plain.contains(where: { $0.kind == "HelmRelease" }) else {
                asWritten.append(path)
                continue
            }
            do {
                manifests.append(contentsOf: ManifestLoader().load(try await SourceBuild(path).render()))
            } catch let failure as RenderFailure {
                manifests.diagnostics.append(.error(at: failure.position ?? SourcePosition(file: path), failure.message))
            }
        }
        if !asWritten.isEmpty { manifests.append(contentsOf: ManifestLoader().load(paths: asWritten)) }
        let (diagnostics, plans) = Validator(platform: platform).validateAndPlan(manifests)
        return (manifests, diagnostics, plans)
    }
}

extension PlatformKind: ExpressibleByArgument {}

enum Output {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Diagnostics go to standard error, one line each.
    static func report(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        error(diagnostics.map(\.description).joined(separator: "\n"))
    }
}
