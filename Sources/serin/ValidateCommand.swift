import ArgumentParser
import SerinSpec

struct ValidateCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests: YAML, fields, values and references.",
        discussion: "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage or I/O error. Problems go to standard error as file:line:column: message."
    )

    @OptionGroup var options: ManifestOptions

    func run() async throws {
        let (manifests, diagnostics) = try await options.loadAndValidate()
        Output.report(diagnostics)
        let errors = diagnostics.errors.count
        let warnings = diagnostics.warnings.count
        let kinds = manifests.countsByKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let files = manifests.files.count
        if errors > 0 {
            Output.error("invalid: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")")
            throw ExitCode(ExitStatus.invalid)
        }
        let summary = kinds.isEmpty ? "" : " (\(kinds))"
        print("valid: \(manifests.resourceCount) resource\(manifests.resourceCount == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")\(summary), \(warnings) warning\(warnings == 1 ? "" : "s")")
    }
}
