import Foundation
import SerinSpec

/// One kustomize build: the vetted files copied into a private folder
/// (mode 0700, links already resolved into plain files, laid out at their
/// repository paths so `../base` still means the same folder), the
/// kustomization written at the source's folder, kustomize run inside the
/// sandbox with `--load-restrictor LoadRestrictionsNone` (as Flux builds:
/// files of other folders may be read, and the copy holds nothing but the
/// vetted ones), never with plugins, Helm or exec functions enabled.
struct KustomizeRun {
    let prepared: PreparedBuild
    let binary: KustomizeBinary
    let sandbox: KustomizeSandbox
    let limits: KustomizeBuilder.Limits
    let scratch: String

    func perform() async throws -> [RenderedText] {
        let folder = scratch + "/serin-kustomize-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let copy = folder + "/repo"
        try write(into: copy)
        let target = prepared.directory.isEmpty ? copy : "\(copy)/\(prepared.directory)"
        let arguments = ["build", target, "--load-restrictor", "LoadRestrictionsNone"]
        guard let (program, command) = sandbox.commandLine(binary: binary, copy: copy, kustomize: arguments, outputLimit: limits.outputLimit) else {
            throw failure("the \(sandbox.rawValue) sandbox is not installed; \(KustomizeBinary.installHint)")
        }
        let outcome = try await KustomizeProcess.run(program, command, directory: folder,
                                                     environment: ["PATH": "/usr/bin:/bin", "HOME": folder, "LANG": "C.UTF-8"],
                                                     timeout: limits.timeout, outputLimit: limits.outputLimit)
        if outcome.timedOut {
            throw failure("kustomize build \(KustomizeBuilder.timeoutWords) \(limits.timeout) and was stopped; make the overlay smaller or raise the limit")
        }
        if outcome.outputTooLarge {
            throw failure("kustomize build printed more than \(limits.outputLimit >> 20) MiB and was stopped; split the source into smaller paths")
        }
        guard outcome.status == 0 else {
            throw failure("kustomize build failed: " + message(outcome.stderr, copy: copy))
        }
        var output = BuildOutput(top: prepared.directory, files: prepared.files, fallback: prepared.failurePosition,
                                 keepOrigins: prepared.keepOrigins)
        return try output.texts(from: String(decoding: outcome.stdout, as: UTF8.self))
    }

    private func write(into copy: String) throws {
        var written = prepared.files
        let kustomization = prepared.directory.isEmpty ? prepared.kustomizationName : "\(prepared.directory)/\(prepared.kustomizationName)"
        written[kustomization] = Data(prepared.kustomizationText.utf8)
        try FileManager.default.createDirectory(atPath: prepared.directory.isEmpty ? copy : "\(copy)/\(prepared.directory)",
                                                withIntermediateDirectories: true)
        for (path, data) in written {
            let full = "\(copy)/\(path)"
            try FileManager.default.createDirectory(atPath: RepositoryPath.parent(full), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: full, contents: data, attributes: [.posixPermissions: 0o644]) else {
                throw failure("cannot write the build's copy of \(path) in \(scratch)")
            }
        }
    }

    /// kustomize's error in one line, with the copy's paths turned back
    /// into the repository's.
    private func message(_ stderr: String, copy: String) -> String {
        var text = stderr
        for root in [sandbox.rootInside(copy: copy), copy] {
            text = text.replacingOccurrences(of: root + "/", with: "").replacingOccurrences(of: root, with: ".")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") }
        let first = lines.first.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 } ?? "exit status without a message"
        return first.count > 2_000 ? String(first.prefix(2_000)) + "…" : first
    }

    private func failure(_ message: String) -> RenderFailure {
        RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: prepared.failurePosition), message)
    }
}
