import Foundation
import SerinSpec
import SerinTesting
import Testing
@testable import SerinGit

/// The hostile corpus through a real Git server (`git daemon`), polled and
/// snapshotted as the operator does: what is refused says where and why,
/// and nothing is ever written outside the snapshot.
@Suite struct HostileTreeTests {
    /// One served hostile repository and a mirror of it in a sandbox
    /// folder: `sandbox/state/revisions/<commit>` is where snapshots go, and
    /// nothing else may appear in the sandbox.
    final class Served {
        let repository: HostileGitRepository
        let daemon: GitDaemon
        let sandbox: TemporaryDirectory
        let mirror: SourceMirror
        let snapshots: RevisionSnapshots

        init(_ tree: [(String, HostileGitRepository.Node)], limits: GitTreeLimits = GitTreeLimits()) throws {
            repository = try HostileGitRepository()
            try repository.commit(tree)
            daemon = try GitDaemon(root: repository.root.path)
            sandbox = try TemporaryDirectory(prefix: "serin-hostile-sandbox")
            // A gigabyte blob is fetched whole (a pack holds the commit's
            // every object) before the tree is read: two of them at once on
            // a loaded 2-core machine took over 60 seconds.
            let spec = GitSourceSpec(name: "app", url: try GitURL(daemon.url("remote.git")), path: "deploy", timeout: .seconds(240),
                                     limits: limits)
            mirror = try SourceMirror(spec: spec, directory: sandbox.path + "/mirror.git")
            snapshots = RevisionSnapshots(stateDirectory: sandbox.path + "/state")
        }

        deinit {
            daemon.stop()
            try? RevisionSnapshots.remove(sandbox.path + "/state")
            sandbox.remove()
        }

        /// Every path in the sandbox outside the mirror and the snapshots
        /// folder, found without following links.
        func strayPaths() -> [String] {
            var stray: [String] = []
            let names = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.path)) ?? []
            for name in names where name != "mirror.git" && name != "state" { stray.append(name) }
            let state = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.path + "/state")) ?? []
            for name in state where name != "revisions" { stray.append("state/" + name) }
            let revisions = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.path + "/state/revisions")) ?? []
            for name in revisions where ObjectID(hex: name) == nil { stray.append("state/revisions/" + name) }
            // The repository's own folder sits beside the served one.
            let served = (try? FileManager.default.contentsOfDirectory(atPath: repository.root.path)) ?? []
            for name in served where name != "remote.git" && !name.hasSuffix(".py") { stray.append("repository/" + name) }
            return stray
        }

        /// Every link in a snapshot resolves inside it (or nowhere).
        func escapingLinks(in snapshot: String) -> [String] {
            var escaping: [String] = []
            let root = URL(fileURLWithPath: snapshot).resolvingSymlinksInPath().path
            let walker = FileManager.default.enumerator(atPath: snapshot)
            while let relative = walker?.nextObject() as? String {
                let full = snapshot + "/" + relative
                var info = stat()
                guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { continue }
                guard let resolved = realpath(full, nil) else { continue } // dangling
                let path = String(cString: resolved)
                free(resolved)
                if path != root && !path.hasPrefix(root + "/") { escaping.append("\(relative) -> \(path)") }
            }
            return escaping
        }
    }

    @Test(arguments: HostileCase.all)
    func theCorpus(_ hostile: HostileCase) throws {
        let served = try Served(hostile.tree)
        let commit: ObjectID
        switch hostile.outcome {
        case .readRefused(let text):
            do {
                let outcome = try served.mirror.poll()
                Issue.record("\(hostile.name): read as \(outcome)")
            } catch let error as GitError {
                #expect(error.kind == .refusedTree, "\(hostile.name): \(error)")
                #expect(error.message.contains(text), "\(hostile.name): \(error.message)")
                #expect(error.message.contains("deploy"), "\(hostile.name): the message names where: \(error.message)")
            }
            #expect(served.strayPaths().isEmpty, "\(hostile.name): \(served.strayPaths())")
            return
        case .unfetchable:
            #expect(throws: GitError.self, "\(hostile.name)") { try served.mirror.poll() }
            #expect(served.strayPaths().isEmpty, "\(hostile.name): \(served.strayPaths())")
            return
        case .invalid(let text):
            let outcome = try served.mirror.poll()
            guard case .invalid(let result) = outcome else {
                Issue.record("\(hostile.name): \(outcome)")
                return
            }
            #expect(result.diagnostics.errors.contains { $0.description.contains(text) }, "\(hostile.name): \(result.diagnostics)")
            return
        case .snapshotRefused, .accepted:
            let outcome = try served.mirror.poll()
            guard case .updated(let result) = outcome else {
                Issue.record("\(hostile.name): \(outcome)")
                return
            }
            commit = result.commit.id
        }
        if case .snapshotRefused(let text) = hostile.outcome {
            do {
                let path = try served.mirror.snapshot(commit, into: served.snapshots)
                Issue.record("\(hostile.name): snapshotted at \(path); links out: \(served.escapingLinks(in: path))")
            } catch let error as GitError {
                #expect(error.kind == .refusedTree, "\(hostile.name): \(error)")
                #expect(error.message.contains(text), "\(hostile.name): \(error.message)")
            }
            #expect(served.snapshots.existing().isEmpty, "\(hostile.name): a refused snapshot stays")
        } else {
            let path = try served.mirror.snapshot(commit, into: served.snapshots)
            #expect(served.escapingLinks(in: path).isEmpty, "\(hostile.name)")
            #expect(FileManager.default.fileExists(atPath: path + "/app/app.py"))
        }
        #expect(served.strayPaths().isEmpty, "\(hostile.name): written outside the snapshot: \(served.strayPaths())")
    }

    /// A gigabyte blob under the path is refused from its size alone: the
    /// process's peak memory grows by far less than the blob.
    @Test(.timeLimit(.minutes(5)))
    func aGigabyteBlobIsRefusedWithBoundedMemory() throws {
        let served = try Served([HostileCase.deploy([("big.yaml", .zeros(size: 1 << 30))]), HostileCase.app])
        let before = Self.peakResidentBytes()
        do {
            _ = try served.mirror.poll()
            Issue.record("a 1 GiB manifest was read")
        } catch let error as GitError {
            #expect(error.kind == .refusedTree, "\(error)")
            #expect(error.message.contains("deploy/big.yaml"), "\(error.message)")
            #expect(error.message.contains("1073741824 bytes"), "\(error.message)")
            #expect(error.message.contains("8388608"), "\(error.message)")
        }
        let grown = Self.peakResidentBytes() - before
        #expect(grown < 256 << 20, "peak memory grew by \(grown >> 20) MiB")
        print("a 1 GiB blob under the path: refused, peak memory grew by \(grown >> 20) MiB")
    }

    /// Outside the path, the blob is not read at all: the commit is
    /// valid; its snapshot is refused, again from the size alone.
    @Test(.timeLimit(.minutes(5)))
    func aGigabyteBlobOutsideThePathIsNotReadAndItsSnapshotIsRefused() throws {
        let served = try Served([HostileCase.deploy(), HostileCase.app, ("assets", .tree([("huge.bin", .zeros(size: 1 << 30))]))])
        let before = Self.peakResidentBytes()
        guard case .updated(let result) = try served.mirror.poll() else {
            Issue.record("the commit was not read")
            return
        }
        do {
            _ = try served.mirror.snapshot(result.commit.id, into: served.snapshots)
            Issue.record("a 1 GiB blob was exported")
        } catch let error as GitError {
            #expect(error.kind == .refusedTree)
            #expect(error.message.contains("assets/huge.bin"), "\(error.message)")
        }
        let grown = Self.peakResidentBytes() - before
        #expect(grown < 256 << 20, "peak memory grew by \(grown >> 20) MiB")
        #expect(served.strayPaths().isEmpty, "\(served.strayPaths())")
    }

    /// The limits are the source's: a smaller file limit refuses a small file.
    @Test func theFileSizeLimitIsTheSources() throws {
        let served = try Served([HostileCase.deploy([("notes.yaml", .file("# " + String(repeating: "x", count: 4000) + "\n"))]), HostileCase.app],
                                limits: GitTreeLimits(maxFileBytes: 2048))
        #expect(throws: GitError.self) { try served.mirror.poll() }
    }

    /// A tree with more entries than the limit is refused before its
    /// entries are visited.
    @Test(.timeLimit(.minutes(5)))
    func aTreeWithTooManyEntriesIsRefused() throws {
        let repository = try HostileGitRepository()
        let empty = try repository.hashObject(type: "blob", Data())
        let entries = (0..<120_000).map { (String(format: "f%06d.txt", $0), HostileGitRepository.Node.object(mode: "100644", id: empty)) }
        let wide = try repository.write(tree: entries)
        try repository.commit([HostileCase.deploy([("wide", .object(mode: "40000", id: wide))]), HostileCase.app])
        let daemon = try GitDaemon(root: repository.root.path)
        defer { daemon.stop() }
        let (mirror, cache) = try mirror(daemon.url("remote.git"), limits: GitTreeLimits(maxEntries: 100_000))
        defer { cache.remove() }
        do {
            _ = try mirror.poll()
            Issue.record("a tree of 120,000 entries was read")
        } catch let error as GitError {
            #expect(error.kind == .refusedTree, "\(error)")
            #expect(error.message.contains("deploy/wide"), "\(error.message)")
            #expect(error.message.contains("100000"), "\(error.message)")
        }
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
