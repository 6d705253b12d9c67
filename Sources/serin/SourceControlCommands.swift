import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

/// The API path of a source.
func sourcePath(_ name: String) -> String {
    "/api/v1/sources/\(pathSegment(name))"
}

/// Who asks, for the audit trail: the login name, when the environment has one.
var commandCaller: String? {
    ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 }
}

struct SuspendCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Hold a Git source: nothing is fetched, applied, corrected or pruned until serin resume.",
        discussion: "As `flux suspend kustomization`. The suspension outlives a restart of the operator; `suspend: true` on the source in serin.yaml does the same from the start."
    )
    @OptionGroup var options: APIOptions
    @Argument(help: "The source's name (serin.yaml).") var source: String

    func run() async throws {
        do {
            print(try await options.client(needsToken: true).post(sourcePath(source) + "/suspend", by: commandCaller))
        } catch {
            throw failed(error, command: "suspend")
        }
    }
}

struct ReconcileCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Fetch a Git source now and apply its revision again, even when the ref has not moved.",
        discussion: "Waits until the source's targets answered and prints its Ready condition: exit 0 when Ready, 1 when not."
    )
    @OptionGroup var options: APIOptions
    @Argument(help: "The source's name (serin.yaml).") var source: String
    @Flag(help: "Return once the request is accepted, without waiting.") var noWait = false
    @Option(help: "Seconds to wait for the targets' answer.") var timeout: Double = 300

    func run() async throws {
        do {
            let client = try options.client(needsToken: true)
            let since = Date().timeIntervalSince1970
            print(try await client.post(sourcePath(source) + "/reconcile", by: commandCaller))
            guard !noWait else { return }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                try await Task.sleep(for: .milliseconds(500))
                let now = try await client.get(SourceStatusReport.self, sourcePath(source))
                // Settled: a sync after the request, and the targets' word on it (or a failure since).
                guard let ready = now.conditions["Ready"], ready.status != .unknown,
                      (now.lastSyncTime ?? 0) >= since || (ready.status == .false && ready.lastTransitionTime >= since) else { continue }
                print("\(ready.status == .true ? "ready" : "not ready"): \(ready.message)")
                if ready.status != .true { throw ExitCode(1) }
                return
            }
            throw failed(APIClient.Failure(description: "source \(source) did not settle within \(Int(timeout)) s", exitStatus: 1), command: "reconcile")
        } catch let failure as APIClient.Failure {
            throw failed(failure, command: "reconcile")
        }
    }
}

struct DiffCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what applying a source's revision in force would change in the cluster.",
        discussion: """
        As `flux diff kustomization` and `kubectl diff`: every object is dry-run applied by the apiserver and compared with the live \
        one; objects the source applied that Git no longer declares are listed as pruned. Exit status: 0 nothing would change, \
        1 something would, 2 the diff could not be made.
        """
    )
    @OptionGroup var options: APIOptions
    @OptionGroup var format: OutputOptions
    @Argument(help: "The source's name (serin.yaml).") var source: String

    func run() async throws {
        do {
            let client = try options.client()
            let path = sourcePath(source) + "/diff"
            let diff = try await client.get(SourceDiff.self, path)
            if try await format.printJSON(client, path) {
                if !diff.objects.isEmpty { throw ExitCode(1) }
                return
            }
            print(SourceViews.diff(diff), terminator: "")
            if diff.objects.contains(where: { $0.action == .refused }) { throw ExitCode(2) }
            if !diff.objects.isEmpty { throw ExitCode(1) }
        } catch let failure as APIClient.Failure {
            // 1 means "something would change": a diff that could not be made is 2.
            throw failed(APIClient.Failure(description: failure.description, exitStatus: 2), command: "diff")
        }
    }
}

struct RollbackCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Pin a Git source to a revision it applied before, until --unpin.",
        discussion: """
        REVISION is a revision or a commit id (or its first 4 or more hex digits) from `serin history source SOURCE`. The source \
        applies it as it applies a new commit (a Canary in it releases it like any other revision) and stays on it, whatever its \
        ref does, until `serin rollback SOURCE --unpin`. Who asked is recorded.
        """
    )
    @OptionGroup var options: APIOptions
    @Argument(help: "The source's name (serin.yaml).") var source: String
    @Argument(help: "The revision to pin the source to.") var revision: String?
    @Flag(help: "Remove the pin: the source follows its ref again.") var unpin = false

    func validate() throws {
        if unpin && revision != nil { throw ValidationError("give a revision or --unpin, not both") }
        if !unpin && revision == nil { throw ValidationError("give the revision to roll back to (serin history source \(source) lists them), or --unpin") }
    }

    func run() async throws {
        do {
            let client = try options.client(needsToken: true)
            var fields = commandCaller.map { ["by": $0] } ?? [:]
            if let revision { fields["revision"] = revision }
            print(try await client.post(sourcePath(source) + (unpin ? "/unpin" : "/rollback"), fields: fields))
        } catch {
            throw failed(error, command: "rollback")
        }
    }
}
