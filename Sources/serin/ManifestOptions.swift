import ArgumentParser
import Foundation
import SerinSpec

/// Options and steps shared by `validate` and `plan`.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "Manifest files or folders (read recursively: *.yaml, *.yml).")
    var paths: [String]

    @Option(help: "The platform the manifests are meant for: local or kubernetes. Decides which fields are reported as ignored.")
    var platform: PlatformKind = .local

    /// Loads and validates; exits 2 when a path cannot be read.
    func loadAndValidate() throws -> (Manifests, [Diagnostic]) {
        let (manifests, diagnostics, _) = try loadValidateAndPlan()
        return (manifests, diagnostics)
    }

    func loadValidateAndPlan() throws -> (Manifests, [Diagnostic], [Plan]) {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            Output.error("\(path): no such file or directory")
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        let manifests = ManifestLoader().load(paths: paths)
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
