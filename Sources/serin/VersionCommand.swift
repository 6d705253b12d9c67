import ArgumentParser
import SerinGit
import SerinKustomize

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Serin's version and the libgit2 and kustomize it runs with.")

    func run() throws {
        print("serin \(SerinVersion.current) (libgit2 \(LibGit2.version))")
        switch KustomizeBinary.locate() {
        case .success(let binary): print("\(binary.description), sandbox \(KustomizeSandbox.strongest(for: binary).rawValue)")
        case .failure(let problem): print("kustomize: not available (\(problem.message))")
        }
    }
}
