import ArgumentParser
import CLibGit2

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Serin's version and the libgit2 it runs on.")

    func run() throws {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        print("serin \(SerinVersion.current) (libgit2 \(major).\(minor).\(revision))")
    }
}
