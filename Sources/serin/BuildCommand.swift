import ArgumentParser
import Foundation
import SerinKustomize
import SerinOperator
import SerinSpec

struct BuildCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Print the objects a source's path renders to, as Serin will apply them.",
        discussion: """
            Like `kustomize build` and `flux build kustomization`: a folder with a kustomization.yaml is built with the \
            pinned kustomize (a folder holding one further down gets Flux's generated kustomization); a folder without \
            any is printed as its files are. --source NAME applies that source's fields from --config (targetNamespace, \
            namePrefix, images, patches, components, postBuild.substitute, commonMetadata); substituteFrom objects live \
            in the cluster and are not read here. Exit status: 0 built, 1 the build failed, 2 usage or I/O error.
            """
    )

    @Argument(help: "The folder to build (a source's path).")
    var path: String

    @Option(help: "Apply this source's Kustomize fields from the configuration file.")
    var source: String?

    @Option(help: "The operator's configuration file, read with --source.")
    var config = "serin.yaml"

    func run() async throws {
        guard FileManager.default.fileExists(atPath: path) else {
            Output.error("\(path): no such file or directory")
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        var options = KustomizeOptions()
        if let source {
            switch OperatorConfig.load(config) {
            case .failure(let problems):
                Output.report(problems.diagnostics)
                throw ExitCode(ExitStatus.ioOrUsage)
            case .success(let resolved):
                guard let found = resolved.kustomize[source] else {
                    Output.error("\(config): no source named \"\(source)\" (sources: \(resolved.kustomize.keys.sorted().joined(separator: ", ")))")
                    throw ExitCode(ExitStatus.ioOrUsage)
                }
                options = found
            }
        }
        let lookup: SubstitutionLookup = { reference in
            Output.error("warning: substituteFrom \(reference) is in the cluster and not read by serin build; its variables stay unset")
            return [:]
        }
        do {
            let rendered = try await SourceBuild(path).render(source: source ?? "cli", options: options, lookup: lookup)
            FileHandle.standardOutput.write(Data(SourceBuild.stream(rendered).utf8))
        } catch let failure as RenderFailure {
            Output.error("\(failure)")
            throw ExitCode(ExitStatus.invalid)
        }
    }
}
