import ArgumentParser
import SerinGit

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Serin's version and the libgit2 it runs on.")

    func run() throws {
        print("serin \(SerinVersion.current) (libgit2 \(LibGit2.version))")
    }
}
