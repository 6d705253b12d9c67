import Foundation
import Yams

/// Reads manifest files and folder trees into typed resources, keeping the
/// position of every field. It never stops at the first problem: every
/// document is read and every problem is reported, one line each.
public struct ManifestLoader: Sendable {
    /// Files larger than this are refused rather than parsed.
    public var maximumFileSize = 8 << 20

    public init() {}

    /// Reads files and folders (recursively: `*.yaml` and `*.yml`, hidden
    /// entries skipped, in name order). Paths are shown as given.
    public func load(paths: [String]) -> Manifests {
        var manifests = Manifests()
        var found: [String] = []
        for path in paths {
            found += Self.manifestFiles(at: path, into: &manifests.diagnostics)
        }
        let files = found
        // Files are independent: read them on every core, merge in order.
        let results = Slots<Manifests>(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            results[index] = load(contentsOf: files[index])
        }
        for index in files.indices {
            manifests.append(contentsOf: results[index]!)
        }
        return manifests
    }

    /// Reads one file from disk.
    public func load(contentsOf file: String) -> Manifests {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            return failure(file, "cannot read the file")
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maximumFileSize + 1) ?? Data() else {
            return failure(file, "cannot read the file")
        }
        return load(data: data, file: file)
    }

    /// Reads one file's bytes (from Git, from a test).
    public func load(data: Data, file: String) -> Manifests {
        guard data.count <= maximumFileSize else {
            return failure(file, "file is larger than \(maximumFileSize >> 20) MiB; split it")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return failure(file, "file is not UTF-8 text")
        }
        return load(text: text, file: file)
    }

    /// Reads one file's text.
    public func load(text: String, file: String) -> Manifests {
        var manifests = Manifests()
        manifests.files.append(file)
        var text = text
        let tooDeep = text.withUTF8 { NestingLimit.firstViolation(in: $0) }
        if let (line, column) = tooDeep {
            manifests.diagnostics.append(.error(at: SourcePosition(file: file, line: line, column: column),
                "YAML is nested more than \(NestingLimit.maximum) levels deep", kind: .unreadable))
            return manifests
        }
        do {
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            while let root = try parser.nextRoot() {
                DocumentReader(file: file).read(root, into: &manifests)
            }
        } catch let error as YamlError {
            manifests.diagnostics.append(YAMLErrorExplainer(text: text, file: file).diagnostic(for: error))
        } catch {
            manifests.diagnostics.append(.error(at: SourcePosition(file: file), "invalid YAML: \(error)", kind: .unreadable))
        }
        return manifests
    }

    private func failure(_ file: String, _ message: String) -> Manifests {
        var manifests = Manifests()
        manifests.files.append(file)
        manifests.diagnostics.append(.error(at: SourcePosition(file: file), message, kind: .unreadable))
        return manifests
    }

    static func manifestFiles(at path: String, into diagnostics: inout [Diagnostic]) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            diagnostics.append(.error(at: SourcePosition(file: path), "no such file or directory"))
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(atPath: path) else {
            diagnostics.append(.error(at: SourcePosition(file: path), "cannot list the directory"))
            return []
        }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                walker.skipDescendants()
                continue
            }
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
            // Kustomize's own file describes how to build manifests, not a resource.
            guard name != "kustomization.yaml", name != "kustomization.yml" else { continue }
            let full = path.hasSuffix("/") ? path + relative : path + "/" + relative
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }
}

/// One slot per task of a `concurrentPerform`.
final class Slots<Value: Sendable>: @unchecked Sendable {
    // Safe: the buffer never moves, each index is written by exactly one
    // iteration, and read only after `concurrentPerform` has returned.
    private let buffer: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }
}
