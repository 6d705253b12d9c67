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
/// The API path of a rollout named `cluster/namespace/name` (several
/// clusters), `namespace/name`, or `name` alone where only one rollout has it.
func rolloutPath(_ name: String) -> String {
    let parts = name.split(separator: "/", maxSplits: 2).map(String.init)
    if parts.count == 3 {
        return "/api/v1/clusters/\(pathSegment(parts[0]))/namespaces/\(pathSegment(parts[1]))/rollouts/\(pathSegment(parts[2]))"
    }
    if parts.count == 2 { return "/api/v1/namespaces/\(pathSegment(parts[0]))/rollouts/\(pathSegment(parts[1]))" }
    return "/api/v1/rollouts/\(pathSegment(name))"
}

/// The API path of a workload named `namespace/name` or `name`.
func workloadPath(_ name: String) -> String {
    let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
    if parts.count == 2 { return "/api/v1/namespaces/\(pathSegment(parts[0]))/workloads/\(pathSegment(parts[1]))" }
    return "/api/v1/workloads/\(pathSegment(name))"
}

func pathSegment(_ name: String) -> String {
    name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
}

/// How a reading command prints: a table for people, or the API's JSON for
/// scripts (`serin status -o json | jq ...`), as kubectl and argo do.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, yaml
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "table, json or yaml (the API's document, pretty-printed).")
    var output: OutputFormat = .table

    /// With `-o json` or `-o yaml`, prints the API's answer at `path` and returns true.
    func printJSON(_ client: APIClient, _ path: String) async throws(APIClient.Failure) -> Bool {
        guard output != .table else { return false }
        print(try render(await client.raw(path)), terminator: "")
        return true
    }

    /// The API's JSON as `-o` asks (see `APIDocument`).
    func render(_ data: Data) throws(APIClient.Failure) -> String {
        do {
            return try APIDocument.render(data, as: output == .yaml ? .yaml : .json)
        } catch let error as APIDocument.NotJSON {
            throw APIClient.Failure(description: error.description, exitStatus: 2)
        } catch {
            throw APIClient.Failure(description: "cannot write the API's answer as \(output.rawValue): \(error)", exitStatus: 2)
        }
    }
}
