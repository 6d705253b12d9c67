import ArgumentParser
import Foundation
import SerinCLI

/// Where the operator's API is and how to prove who we are; shared by the
/// commands that talk to a running operator.
struct APIOptions: ParsableArguments {
    static let defaultAPI = "http://127.0.0.1:9797"

    @Option(name: .customLong("api"), help: "The operator's API (default: $SERIN_API or \(APIOptions.defaultAPI)).")
    var api: String?

    @Option(name: .customLong("token-file"), help: "A file holding the API's bearer token (default: $SERIN_TOKEN_FILE); commands that change a rollout need it.")
    var tokenFile: String?

    /// A client; with `needsToken`, one that carries the token or a failure saying where to put it.
    func client(needsToken: Bool = false) throws(APIClient.Failure) -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let address = api ?? environment["SERIN_API"] ?? Self.defaultAPI
        guard let base = URL(string: address), base.scheme == "http" || base.scheme == "https", base.host != nil else {
            throw APIClient.Failure(description: "--api \(address) is not an http(s) URL such as \(Self.defaultAPI)", exitStatus: 2)
        }
        guard needsToken else { return APIClient(base: base) }
        guard let path = tokenFile ?? environment["SERIN_TOKEN_FILE"] else {
            throw APIClient.Failure(description: "this command needs the API token: pass --token-file PATH or set SERIN_TOKEN_FILE", exitStatus: 2)
        }
        return APIClient(base: base, token: try APIClient.readToken(path))
    }
}

/// Ends a command that talks to the API: the message on standard error, the status as the exit code.
func failed(_ failure: APIClient.Failure, command: String) -> ExitCode {
    FileHandle.standardError.write(Data("serin \(command): \(failure.description)\n".utf8))
    return ExitCode(failure.exitStatus)
}

/// Percent-encodes a rollout name for a path segment.
/// The API path of a rollout named `namespace/name`, or `name` alone
/// where only one rollout has it.
func rolloutPath(_ name: String) -> String {
    let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
    if parts.count == 2 { return "/api/v1/namespaces/\(pathSegment(parts[0]))/rollouts/\(pathSegment(parts[1]))" }
    return "/api/v1/rollouts/\(pathSegment(name))"
}

func pathSegment(_ name: String) -> String {
    name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
}

/// How a reading command prints: a table for people, or the API's JSON for
/// scripts (`serin status -o json | jq ...`), as kubectl and argo do.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "table or json (the API's document, pretty-printed).")
    var output: OutputFormat = .table

    /// With `-o json`, prints the API's answer at `path` and returns true.
    func printJSON(_ client: APIClient, _ path: String) async throws(APIClient.Failure) -> Bool {
        guard output == .json else { return false }
        let data = try await client.raw(path)
        guard let object = try? JSONSerialization.jsonObject(with: data),
              let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            throw APIClient.Failure(description: "the API answered something that is not JSON", exitStatus: 2)
        }
        print(String(decoding: pretty, as: UTF8.self))
        return true
    }
}
