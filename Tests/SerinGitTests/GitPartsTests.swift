import Foundation
import SerinEngine
import SerinTesting
import Testing
@testable import SerinGit

@Suite struct GitURLTests {
    @Test(arguments: [
        ("https://github.com/org/repo.git", GitURL.Scheme.https, "github.com", nil as Int?),
        ("http://127.0.0.1:8080/repo.git", .http, "127.0.0.1", 8080),
        ("ssh://git@example.com:2222/org/repo.git", .ssh, "example.com", 2222),
        ("git://127.0.0.1/repo.git", .git, "127.0.0.1", nil),
        ("git@github.com:org/repo.git", .ssh, "github.com", nil),
        ("file:///srv/git/app.git", .file, "", nil),
        ("/srv/git/app.git", .file, "", nil),
    ])
    func parsesEveryForm(_ text: String, _ scheme: GitURL.Scheme, _ host: String, _ port: Int?) throws {
        let url = try GitURL(text)
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
    }

    @Test func refusesPasswordsInURLsAndNeverPrintsThem() throws {
        #expect(throws: GitError.self) { try GitURL("https://user:hunter2@example.com/repo.git") }
        do { _ = try GitURL("https://user:hunter2@example.com/repo.git") } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
        #expect(try GitURL("https://user@example.com/r.git").redacted == "https://***@example.com/r.git")
    }
}

@Suite struct GitReferenceTests {
    @Test func parsesTheFourKinds() throws {
        #expect("\(try GitReference(parsing: "branch:main"))" == "branch:main")
        #expect("\(try GitReference(parsing: "main"))" == "branch:main")
        #expect("\(try GitReference(parsing: "tag:v1"))" == "tag:v1")
        #expect("\(try GitReference(parsing: "semver:>=1 <2"))" == "semver:>=1 <2")
        #expect(throws: GitError.self) { try GitReference(parsing: "commit:abc") }
        #expect(throws: GitError.self) { try GitReference(parsing: "sha:abc") }
    }

    @Test(arguments: [
        (">=1.2.0 <2.0.0", ["v1.0.0", "v1.2.0", "v1.9.3", "v2.0.0"], "v1.9.3"),
        ("^1.2", ["1.1.9", "1.2.0", "1.5.1", "2.0.0"], "1.5.1"),
        ("~1.2.3", ["1.2.2", "1.2.9", "1.3.0"], "1.2.9"),
        ("1.x", ["0.9.0", "1.0.0", "1.99.1", "2.0.0"], "1.99.1"),
        (">=1.0.0", ["v1.0.0", "v3.0.0-rc.1", "v2.5.0"], "v2.5.0"),
        (">=3.0.0-rc.0", ["v2.0.0", "v3.0.0-rc.1"], "v3.0.0-rc.1"),
        ("<1.0.0 || >=3.0.0", ["0.5.0", "2.0.0", "3.1.0"], "3.1.0"),
        ("=1.4.0", ["1.4.0", "1.5.0"], "1.4.0"),
    ])
    func semverRangesPickTheHighestMatch(_ range: String, _ tags: [String], _ expected: String) throws {
        #expect(try SemverRange(range).best(among: tags)?.tag == expected)
    }

    @Test func anInvalidRangeIsAnError() {
        #expect(throws: GitError.self) { try SemverRange(">=one") }
        #expect(throws: GitError.self) { try SemverRange("") }
    }
}

@Suite struct KnownHostsTests {
    static let key = Data((0..<51).map { UInt8($0) })
    static let other = Data((0..<51).map { UInt8(255 - $0) })

    @Test func matchesPlainBracketedAndHashedEntries() throws {
        let line = "example.com,192.0.2.1 ssh-ed25519 \(Self.key.base64EncodedString())\n[git.local]:2222 ssh-ed25519 \(Self.key.base64EncodedString())"
        let known = KnownHosts(contents: "# comment\n\(line)")
        #expect(known.verify(host: "example.com", port: 22, key: Self.key) == .trusted)
        #expect(known.verify(host: "192.0.2.1", port: nil, key: Self.key) == .trusted)
        #expect(known.verify(host: "git.local", port: 2222, key: Self.key) == .trusted)
        #expect(known.verify(host: "git.local", port: 22, key: Self.key) == .unknown)
        #expect(known.verify(host: "example.com", port: 22, key: Self.other) == .changed)
        #expect(known.verify(host: "elsewhere", port: 22, key: Self.key) == .unknown)

        // `ssh-keygen -H` form: |1|base64(salt)|base64(HMAC-SHA1(salt, host))
        let salt = Data((0..<20).map { UInt8($0 * 3) })
        let hashed = "|1|\(salt.base64EncodedString())|\(KnownHostsTests.hmacSHA1(salt, "hidden.example")) ssh-ed25519 \(Self.key.base64EncodedString())"
        let hashedHosts = KnownHosts(contents: hashed)
        #expect(hashedHosts.verify(host: "hidden.example", port: 22, key: Self.key) == .trusted)
        #expect(hashedHosts.verify(host: "other.example", port: 22, key: Self.key) == .unknown)
    }

    @Test func revokedKeysAreRefused() {
        let known = KnownHosts(contents: "@revoked * ssh-ed25519 \(Self.key.base64EncodedString())\nexample.com ssh-ed25519 \(Self.key.base64EncodedString())")
        #expect(known.verify(host: "example.com", port: 22, key: Self.key) == .changed)
    }

    @Test func fingerprintsLookLikeOpenSSHs() {
        #expect(KnownHosts.fingerprint(Self.key).hasPrefix("SHA256:"))
        #expect(!KnownHosts.fingerprint(Self.key).hasSuffix("="))
    }

    static func hmacSHA1(_ salt: Data, _ host: String) -> String {
        let run = try! CommandRun.run("/usr/bin/env", ["python3", "-c", "import hmac,hashlib,base64,sys; print(base64.b64encode(hmac.new(base64.b64decode(sys.argv[1]), sys.argv[2].encode(), hashlib.sha1).digest()).decode())", salt.base64EncodedString(), host]).stdout
        return run.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite struct WebhookVerifierTests {
    let verifier = WebhookVerifier(secret: Data("It's a Secret to Everybody".utf8))
    let body = Data("Hello, World!".utf8)

    @Test func acceptsGitHubsSHA256Signature() {
        // GitHub's documented example for this secret and body.
        let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(verifier.signature(for: body) == signature)
        #expect((try? verifier.verify(headers: ["x-hub-signature-256": signature], body: body).get()) != nil)
    }

    @Test func refusesATamperedBodySHA1AndMissingSignatures() {
        let signature = verifier.signature(for: body)
        #expect(verifier.verify(headers: ["x-hub-signature-256": signature], body: Data("Hello, World?".utf8))
                .reason == "X-Hub-Signature-256 does not match the body")
        #expect(verifier.verify(headers: ["x-hub-signature": "sha1=01234"], body: body)
                .reason == "X-Hub-Signature (SHA-1) is refused; configure the webhook to send X-Hub-Signature-256")
        #expect(verifier.verify(headers: [:], body: body)
                .reason == "no signature: expected X-Hub-Signature-256, X-Gitlab-Token or X-Signature")
        #expect(verifier.verify(headers: ["x-hub-signature-256": "sha256=zz"], body: body)
                .reason == "X-Hub-Signature-256 must be sha256=<64 hex digits>")
    }

    @Test func gitLabTokenAndGenericSignature() {
        #expect((try? verifier.verify(headers: ["x-gitlab-token": "It's a Secret to Everybody"], body: body).get()) != nil)
        #expect(verifier.verify(headers: ["x-gitlab-token": "guess"], body: body) .reason == "X-Gitlab-Token does not match")
        #expect((try? verifier.verify(headers: ["x-signature": verifier.signature(for: body)], body: body).get()) != nil)
    }

    @Test func readsTheSecretFromAFileWithoutItsNewline() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-secret-\(getpid())").path
        try "It's a Secret to Everybody\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try WebhookVerifier(secretFile: path)
        #expect(fromFile.signature(for: body) == verifier.signature(for: body))
    }
}

@Suite struct BackoffTests {
    @Test func doublesUpToTheCap() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(30))
        #expect((1...7).map { backoff.delay(afterFailures: $0) } == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
        #expect(backoff.delay(afterFailures: 3, jitter: 1) == .milliseconds(4400))
        #expect(backoff.delay(afterFailures: 1000) == .seconds(30))
    }
}

@Suite struct CredentialsTests {
    @Test func readsTheFieldsAndRefusesUnknownOnesWithoutPrintingValues() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("serin-creds-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "username: deploy\npassword: s3cret\n".write(toFile: path, atomically: true, encoding: .utf8)
        let credentials = try GitCredentials.load(from: path)
        #expect(credentials.username == "deploy")
        #expect(credentials.password == "s3cret")
        try "username: deploy\npasword: s3cret\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try GitCredentials.load(from: path)
            Issue.record("an unknown field was accepted")
        } catch {
            #expect("\(error)" == "\(path):2:1: pasword is not a known field (username, password, bearerToken, identityFile, passphrase, caFile)")
            #expect(!"\(error)".contains("s3cret"))
        }
    }
}

extension Result where Success == Void, Failure == WebhookVerifier.Rejection {
    var reason: String? {
        if case .failure(let rejection) = self { return rejection.reason }
        return nil
    }
}
