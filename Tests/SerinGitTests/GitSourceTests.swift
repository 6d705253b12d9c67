import Foundation
import SerinEngine
import SerinTesting
import Testing
@testable import SerinGit

/// Git sources against real repositories: a bare repository over file://,
/// and the refs, pushes and failures a source must follow.
@Suite struct GitSourceTests {
    @Test func readsANewCommitAndDoesNotFetchWhenNothingMoved() throws {
        let git = try GitFixture()
        let first = try git.commit(manifests(), message: "first release\n\nwith a body", author: "Grace Hopper", email: "grace@example.com")
        let (source, cache) = try mirror("file://" + git.bare)
        defer { cache.remove() }

        let outcome = try source.poll()
        let result = try #require(outcome.result)
        #expect(!outcome.isInvalid)
        #expect(result.revision == "main@sha1:\(first)")
        #expect(result.fetched)
        #expect(result.commit.author.name == "Grace Hopper")
        #expect(result.commit.author.email == "grace@example.com")
        #expect(result.commit.message == "first release\n\nwith a body\n")
        #expect(result.manifests.workloads.map(\.name) == ["web"])
        #expect(result.manifests.files == ["deploy/web.yaml"])

        #expect(try source.poll().isUnchanged)

        let second = try git.commit(manifests("second"))
        let next = try #require(try source.poll().result)
        #expect(next.revision == "main@sha1:\(second)")
        #expect(next.fetched)
        #expect(source.lastGood?.commit.id.hex == second)
    }

    @Test func aLocalPathWorksLikeFileURL() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let (source, cache) = try mirror(git.bare)
        defer { cache.remove() }
        #expect(try source.poll().result?.commit.id.hex == commit)
    }

    @Test func invalidManifestsAtTheNewHeadKeepTheLastGoodRevision() throws {
        let git = try GitFixture()
        let good = try git.commit(manifests())
        let (source, cache) = try mirror(git.bare)
        defer { cache.remove() }
        _ = try source.poll()
        try git.commit(["deploy/web.yaml": workload.replacingOccurrences(of: "replicas: 1", with: "replicas: many")])
        let outcome = try source.poll()
        #expect(outcome.isInvalid)
        #expect(outcome.result?.diagnostics.errors.map(\.description) == ["deploy/web.yaml:5:13: replicas must be an integer, got string \"many\""])
        #expect(source.lastGood?.commit.id.hex == good)
    }

    @Test func followsAForcePush() throws {
        let git = try GitFixture()
        try git.commit(manifests("one"))
        try git.commit(manifests("two"))
        let (source, cache) = try mirror(git.bare)
        defer { cache.remove() }
        _ = try source.poll()
        let rewritten = try git.amendAndForcePush(["deploy/web.yaml": workload.replacingOccurrences(of: "MSG", with: "rewritten")], message: "rewritten")
        let result = try #require(try source.poll().result)
        #expect(result.commit.id.hex == rewritten)
        #expect(result.manifests.workloads.first?.spec.template?.env?.first?.value == "rewritten")
    }

    @Test func followsTagsAnnotatedOrNot() throws {
        let git = try GitFixture()
        let tagged = try git.commit(manifests("one"))
        try git.tag("v1.0.0", annotated: true)
        try git.tag("light")
        try git.commit(manifests("two"))
        for ref in ["tag:v1.0.0", "tag:light"] {
            let (source, cache) = try mirror(git.bare, ref: ref)
            defer { cache.remove() }
            let result = try #require(try source.poll().result)
            #expect(result.commit.id.hex == tagged, "\(ref)")
            #expect(result.revision == "\(ref.dropFirst(4))@sha1:\(tagged)")
        }
    }

    @Test func semverPicksTheHighestTagInRange() throws {
        let git = try GitFixture()
        var commits: [String: String] = [:]
        for version in ["v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0", "v1.11.0-rc.1"] {
            commits[version] = try git.commit(manifests(version))
            try git.tag(version, annotated: version.hasSuffix("0"))
        }
        let (source, cache) = try mirror(git.bare, ref: "semver:>=1.0.0 <2.0.0")
        defer { cache.remove() }
        let result = try #require(try source.poll().result)
        #expect(result.revision == "v1.10.0@sha1:\(commits["v1.10.0"]!)")
    }

    @Test func aCommitRefIsFetchedFromTheBranches() throws {
        let git = try GitFixture()
        let old = try git.commit(manifests("old"))
        try git.commit(manifests("new"))
        let (source, cache) = try mirror(git.bare, ref: "commit:\(old)")
        defer { cache.remove() }
        let result = try #require(try source.poll().result)
        #expect(result.revision == "sha1:\(old)")
        #expect(try source.poll().isUnchanged)
    }

    @Test func aMissingRefOrPathIsAnErrorNamingIt() throws {
        let git = try GitFixture()
        try git.commit(manifests())
        let (missingBranch, cache1) = try mirror(git.bare, ref: "branch:release")
        defer { cache1.remove() }
        #expect(throws: GitError.self) { try missingBranch.poll() }
        do { _ = try missingBranch.poll() } catch let error as GitError {
            #expect(error.kind == .refNotFound)
            #expect(error.message.hasSuffix("branch release does not exist"))
        }
        let (missingPath, cache2) = try mirror(git.bare, path: "k8s")
        defer { cache2.remove() }
        do { _ = try missingPath.poll(); Issue.record("expected an error") } catch let error as GitError {
            #expect(error.message.contains("path \"k8s\" does not exist"))
        }
    }

    @Test func snapshotsAreReadOnlyCopiesOfTheTreeAndArePruned() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let (source, cache) = try mirror(git.bare)
        defer { cache.remove() }
        _ = try source.poll()
        let snapshots = RevisionSnapshots(stateDirectory: cache.path + "/state")
        let id = try #require(ObjectID(hex: commit))
        let path = try source.snapshot(id, into: snapshots)
        #expect(path == cache.path + "/state/revisions/\(commit)")
        #expect(try String(contentsOfFile: path + "/app/app.py", encoding: .utf8) == "print('hello')\n")
        #expect(!FileManager.default.isWritableFile(atPath: path + "/app/app.py") || getuid() == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/app/app.py")
        #expect((attributes[.posixPermissions] as? Int) == 0o444)
        #expect(try source.snapshot(id, into: snapshots) == path) // already there
        #expect(snapshots.existing() == [id])
        try snapshots.prune(keeping: [])
        #expect(snapshots.existing().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}

@Suite struct GitSourcePipelineTests {
    /// A webhook's request wakes the watcher at once, long before its interval.
    @Test func aRequestedSyncHappensAtOnce() async throws {
        let git = try GitFixture()
        try git.commit(manifests())
        let cache = try TemporaryDirectory(prefix: "serin-watch")
        defer { cache.remove() }
        let spec = GitSourceSpec(name: "app", url: try GitURL(git.bare), path: "deploy", interval: .seconds(3600))
        let (watcher, stream) = try pipeline(spec, cache: cache)
        let running = Task { await watcher.run() }
        defer { running.cancel() }
        var revisions = stream.makeAsyncIterator()
        _ = await revisions.next()
        let commit = try git.commit(manifests("webhook"))
        let started = ContinuousClock.now
        watcher.requestSync()
        let next = await revisions.next()
        #expect(next?.commit == commit)
        // Well before the hour-long interval; slack for a busy machine.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// An invalid head is reported, not published, and not read again.
    @Test func anInvalidHeadIsReportedAndTheLastGoodRevisionStays() async throws {
        let git = try GitFixture()
        let good = try git.commit(manifests())
        let cache = try TemporaryDirectory(prefix: "serin-watch")
        defer { cache.remove() }
        let spec = GitSourceSpec(name: "app", url: try GitURL(git.bare), path: "deploy", interval: .seconds(30))
        let (watcher, _) = try pipeline(spec, cache: cache, backoff: Backoff(base: .seconds(1), cap: .seconds(10)))
        await watcher.syncOnce()
        try git.commit(["deploy/web.yaml": "apiVersion: serin.dev/v1alpha1\nkind: Workload\nmetadata: { name: web }\nspec: { replicas: -1 }\n"])
        let delay = await watcher.syncOnce()
        let status = await watcher.status
        #expect(!status.ready)
        #expect(status.reason == "ValidationFailed")
        #expect(status.errors.contains("deploy/web.yaml:4:19: replicas must be between 0 and 1000, got -1"), "\(status.errors)")
        // The condition's message: the first problem in full, and how many more.
        #expect(status.message.hasSuffix("refused: \(status.errors[0]) (and \(status.errors.count - 1) more)"), "\(status.message)")
        #expect(status.conditions["Ready"]?.status == .false)
        #expect(status.conditions["Stalled"]?.status == .true)
        #expect(status.lastAttemptedRevision?.hasPrefix("main@sha1:") == true && status.lastAttemptedRevision != status.lastGoodRevision)
        #expect(status.lastGoodRevision == "main@sha1:\(good)")
        #expect(delay >= .seconds(1) && delay <= .milliseconds(1100))
    }
}
