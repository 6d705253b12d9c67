import Foundation
import SerinEngine
import SerinTesting
import Testing
@testable import SerinGit

/// The same source over real servers started on 127.0.0.1: git daemon,
/// smart HTTP with basic auth, SSH with a key and known_hosts.
@Suite(.serialized) struct GitServerTests {
    @Test func gitDaemonAndARemoteThatGoesDownAndComesBack() async throws {
        let git = try GitFixture()
        try git.commit(manifests())
        var daemon = try GitDaemon(root: git.root.path)
        let url = daemon.url("remote.git")
        let cache = try TemporaryDirectory(prefix: "serin-watch")
        defer { cache.remove() }
        let spec = GitSourceSpec(name: "app", url: try GitURL(url), path: "deploy", interval: .seconds(30), timeout: .seconds(5))
        let (watcher, _) = try pipeline(spec, cache: cache, backoff: Backoff(base: .milliseconds(100), cap: .seconds(2)))
        #expect(await watcher.syncOnce() == .seconds(30))
        let good = await watcher.status.lastGoodRevision
        #expect(good != nil)
        #expect(await watcher.status.ready)

        daemon.stop()
        try git.commit(manifests("while down"))
        let retry = await watcher.syncOnce()
        #expect(retry <= .milliseconds(110))
        let down = await watcher.status
        #expect(!down.ready)
        #expect(down.reason == "FetchFailed")
        #expect(down.lastGoodRevision == good)
        #expect(await watcher.syncOnce() >= .milliseconds(200)) // backing off

        daemon = try GitDaemon(root: git.root.path, port: daemon.server.port)
        #expect(await watcher.syncOnce() == .seconds(30))
        let back = await watcher.status
        #expect(back.ready)
        #expect(back.lastGoodRevision == "main@sha1:\(try git.head())")
        daemon.stop()
    }

    @Test func smartHTTPWithBasicAuth() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let server = try GitHTTPServer(root: git.root.path, username: "deploy", password: "correct-horse")
        defer { server.stop() }
        let files = try TemporaryDirectory(prefix: "serin-creds")
        defer { files.remove() }
        let good = try files.write("good.yaml", "username: deploy\npassword: correct-horse\n")
        let bad = try files.write("bad.yaml", "username: deploy\npassword: wrong-battery\n")

        let (source, cache) = try mirror(server.url("remote.git"), credentials: good)
        defer { cache.remove() }
        #expect(try source.poll().result?.commit.id.hex == commit)

        let (refused, cache2) = try mirror(server.url("remote.git"), credentials: bad)
        defer { cache2.remove() }
        do {
            _ = try refused.poll()
            Issue.record("wrong credentials were accepted")
        } catch let error as GitError {
            #expect(error.kind == .authentication)
            #expect(error.message.contains("authentication failed"))
            #expect(!error.message.contains("wrong-battery"))
        }
        let (anonymous, cache3) = try mirror(server.url("remote.git"))
        defer { cache3.remove() }
        do {
            _ = try anonymous.poll()
            Issue.record("no credentials were accepted")
        } catch let error as GitError {
            #expect(error.kind == .authentication)
        }
    }

    @Test func smartHTTPWithABearerToken() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let server = try GitHTTPServer(root: git.root.path, bearerToken: "tok-123")
        defer { server.stop() }
        let files = try TemporaryDirectory(prefix: "serin-creds")
        defer { files.remove() }
        let (source, cache) = try mirror(server.url("remote.git"), credentials: try files.write("token.yaml", "bearerToken: tok-123\n"))
        defer { cache.remove() }
        #expect(try source.poll().result?.commit.id.hex == commit)
        let (refused, cache2) = try mirror(server.url("remote.git"), credentials: try files.write("wrong.yaml", "bearerToken: tok-999\n"))
        defer { cache2.remove() }
        do {
            _ = try refused.poll()
            Issue.record("a wrong token was accepted")
        } catch let error as GitError {
            #expect(error.kind == .authentication)
            #expect(!error.message.contains("tok-999"))
        }
    }

    /// An HTTPS remote signed by a private CA is refused until the
    /// credentials file names that CA.
    @Test func httpsWithAPrivateCA() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let server = try GitHTTPServer(root: git.root.path, tls: true)
        defer { server.stop() }
        let (untrusted, cache) = try mirror(server.url("remote.git"))
        defer { cache.remove() }
        do {
            _ = try untrusted.poll()
            Issue.record("a certificate from an unknown CA was accepted")
        } catch let error as GitError {
            #expect(error.kind == .hostKey)
            #expect(error.message == "localhost: the TLS certificate is not trusted (set caFile in the credentials file for a private CA)")
        }
        let files = try TemporaryDirectory(prefix: "serin-creds")
        defer { files.remove() }
        let credentials = try files.write("ca.yaml", "caFile: \(server.caFile!)\n")
        let (trusted, cache2) = try mirror(server.url("remote.git"), credentials: credentials)
        defer { cache2.remove() }
        #expect(try trusted.poll().result?.commit.id.hex == commit)
    }

    @Test(.enabled(if: SSHServer.isAvailable, "needs /usr/sbin/sshd and root"))
    func sshWithAKeyAndKnownHosts() throws {
        let git = try GitFixture()
        let commit = try git.commit(manifests())
        let ssh = try SSHServer()
        defer { ssh.stop() }
        let credentials = try ssh.directory.write("credentials.yaml", "identityFile: \(ssh.identityFile)\n")
        let url = ssh.url(git.bare)

        let (source, cache) = try mirror(url, credentials: credentials, knownHosts: ssh.knownHostsFile)
        defer { cache.remove() }
        #expect(try source.poll().result?.commit.id.hex == commit)

        let (wrong, cache2) = try mirror(url, credentials: credentials, knownHosts: ssh.otherKnownHostsFile)
        defer { cache2.remove() }
        do {
            _ = try wrong.poll()
            Issue.record("a wrong host key was accepted")
        } catch let error as GitError {
            #expect(error.kind == .hostKey)
            #expect(error.message.contains("[127.0.0.1]:\(ssh.server.port)"))
            #expect(error.message.contains("SHA256:"))
            #expect(error.message.contains("does not match the known_hosts file"))
        }

        let (unknown, cache3) = try mirror(url, credentials: credentials)
        defer { cache3.remove() }
        do {
            _ = try unknown.poll()
            Issue.record("an unchecked host key was accepted")
        } catch let error as GitError {
            #expect(error.kind == .hostKey)
            #expect(error.message.contains("no known_hosts file"))
        }
    }
}

