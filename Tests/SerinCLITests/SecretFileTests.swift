import Foundation
import SerinTesting
import Testing

/// `serin run` refuses a token, Git credentials or webhook secret that
/// other users of the host can read, naming the file and the fix, before
/// it starts anything.
@Suite struct SecretFileTests {
    let serin = Products.executable("serin")

    func config(_ directory: TemporaryDirectory, secret field: String, file: String) throws -> String {
        let source = field == "api.tokenFile" ? "" : (field == "credentialsFile" ? "    credentialsFile: \(file)\n" : "    webhookSecretFile: \(file)\n")
        let api = field == "api.tokenFile" ? "api: { listen: 127.0.0.1:0, tokenFile: \(file) }\n" : ""
        return try directory.write("serin.yaml", """
            stateDir: \(directory.path)/state
            platform: local
            prometheus: { address: "http://127.0.0.1:1" }
            \(api)sources:
              - name: app
                url: file://\(directory.path)/nowhere.git
            \(source)
            """)
    }

    @Test(arguments: ["api.tokenFile", "credentialsFile", "webhookSecretFile"])
    func aSecretOthersCanReadIsRefused(field: String) throws {
        let directory = try TemporaryDirectory(prefix: "serin-secret")
        defer { directory.remove() }
        let secret = try directory.write("secret", field == "credentialsFile" ? "username: u\npassword: p\n" : "s3cret\n")
        chmod(secret, 0o644)
        let path = try config(directory, secret: field, file: secret)
        let run = try CommandRun.run(serin, ["run", "--config", path], timeout: .seconds(60))
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains(field) && run.stderr.contains(secret), "\(run.stderr)")
        #expect(run.stderr.contains("readable by other users") && run.stderr.contains("chmod 600"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/state"), "serin run started before refusing")
    }
}
