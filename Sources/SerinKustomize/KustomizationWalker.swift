import Foundation
import SerinSpec
import Yams

/// The fence's first half: every file a build may read, found by reading
/// the kustomizations themselves before kustomize runs. Each path is joined
/// lexically (as kustomize joins it), must stay inside the repository, and
/// is read through `SourceFiles`, which follows links only inside the tree.
/// Remote bases and resources, `helmCharts`, and exec or container
/// functions are refused here with the kustomization's file:line:column.
/// kustomize then runs on a copy holding exactly these files, so anything
/// this walk did not vet is absent rather than read.
struct KustomizationWalker {
    let files: any SourceFiles
    var maximumFileSize = 8 << 20
    var maximumTotalSize = 64 << 20

    /// Every file read, by path inside the repository.
    private(set) var collected: [String: Data] = [:]
    /// Kustomization files by the directory that holds them.
    private(set) var kustomizations: [String: String] = [:]
    private var pending: [(directory: String, from: SourcePosition?, entry: String?)] = []
    private var total = 0

    init(files: any SourceFiles) {
        self.files = files
    }

    /// The kustomization file a directory holds, if any (Flux's order of names).
    static func kustomizationFile(in directory: String, of files: any SourceFiles) throws -> String? {
        for name in KustomizationFile.names {
            let path = directory.isEmpty ? name : "\(directory)/\(name)"
            if case .file? = try files.entry(at: path) { return path }
        }
        return nil
    }

    /// Walks the kustomization in `directory` and everything it references.
    mutating func walk(kustomizationIn directory: String, components: [String] = []) throws {
        pending.append((directory, nil, nil))
        for component in components {
            try queueDirectory(component, from: directory, field: "components", position: nil)
        }
        try drain()
    }

    /// Flux's generated kustomization for a folder without one: every YAML
    /// file under it, and each folder below that holds its own kustomization
    /// as a directory resource (not descended into). Hidden entries are
    /// skipped, as `serin validate` skips them.
    mutating func scanManifests(under directory: String, components: [String] = []) throws -> [String] {
        var resources: [String] = []
        func visit(_ folder: String) throws {
            for name in try files.list(folder) where !name.hasPrefix(".") {
                let path = folder.isEmpty ? name : "\(folder)/\(name)"
                let relative = "./" + path.dropFirst(directory.isEmpty ? 0 : directory.count + 1)
                switch try fenced(path, field: "resources", position: nil, entry: relative) {
                case .directory?:
                    if try Self.kustomizationFile(in: path, of: files) != nil {
                        resources.append(relative)
                        pending.append((path, nil, relative))
                    } else {
                        try visit(path)
                    }
                case .file?:
                    guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
                    try collect(path, position: nil)
                    resources.append(relative)
                case nil:
                    continue
                }
            }
        }
        try visit(directory)
        for component in components {
            try queueDirectory(component, from: directory, field: "components", position: nil)
        }
        try drain()
        return resources
    }

    private mutating func drain() throws {
        while let (directory, from, entry) = pending.popLast() {
            guard kustomizations[directory] == nil else { continue }
            guard let file = try Self.kustomizationFile(in: directory, of: files) else {
                throw failure(from, "\(entry.map { "\"\($0)\"" } ?? directory) is a directory without a kustomization.yaml")
            }
            kustomizations[directory] = file
            let data = try collect(file, position: from)
            try read(kustomization: file, data: data)
        }
    }

    private mutating func read(kustomization file: String, data: Data) throws {
        let directory = RepositoryPath.parent(file)
        guard let text = String(data: data, encoding: .utf8) else {
            throw failure(SourcePosition(file: file), "the kustomization is not UTF-8 text")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw failure(SourcePosition(file: file), "the kustomization is not valid YAML: \(error)")
        }
        guard case .mapping(let mapping)? = root else { return } // empty: kustomize says so
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { continue }
            let position = self.position(file, keyNode)
            switch key {
            case "resources", "bases":
                for (index, item) in Self.items(value) {
                    guard let entry = item.string else { continue }
                    let at = self.position(file, item)
                    if RepositoryPath.isRemote(entry) {
                        throw failure(at, "\(key)[\(index)] \"\(entry)\" is remote: Serin builds from the repository's own files, with no network; vendor it into the repository")
                    }
                    let path = try join(directory, entry, field: "\(key)[\(index)]", position: at)
                    switch try fenced(path, field: "\(key)[\(index)]", position: at, entry: entry) {
                    case .directory?: pending.append((path, at, entry))
                    case .file?: try collect(path, position: at)
                    case nil: throw missing(key, index, entry, path, at)
                    }
                }
            case "components":
                for (index, item) in Self.items(value) {
                    guard let entry = item.string else { continue }
                    try queueDirectory(entry, from: directory, field: "components[\(index)]", position: self.position(file, item))
                }
            case "crds", "configurations":
                for (index, item) in Self.items(value) {
                    guard let entry = item.string else { continue }
                    try collectFile(entry, from: directory, field: "\(key)[\(index)]", position: self.position(file, item))
                }
            case "patchesStrategicMerge":
                for (index, item) in Self.items(value) {
                    guard let entry = item.string, !entry.contains("\n") else { continue }
                    let at = self.position(file, item)
                    if let path = RepositoryPath.join(directory, entry), case .file? = try? files.entry(at: path) {
                        try collect(path, position: at)
                    } else if !entry.contains(": ") {
                        try collectFile(entry, from: directory, field: "\(key)[\(index)]", position: at)
                    }
                }
            case "patchesJson6902", "patches", "replacements":
                for (index, item) in Self.items(value) {
                    guard let entry = item["path"]?.string else { continue }
                    try collectFile(entry, from: directory, field: "\(key)[\(index)].path", position: self.position(file, item["path"]!))
                }
            case "configMapGenerator", "secretGenerator":
                for (index, item) in Self.items(value) {
                    for field in ["files", "envs"] {
                        for (inner, source) in Self.items(item[field] ?? .sequence([])) {
                            guard var entry = source.string else { continue }
                            if field == "files", let equals = entry.firstIndex(of: "=") { entry = String(entry[entry.index(after: equals)...]) }
                            try collectFile(entry, from: directory, field: "\(key)[\(index)].\(field)[\(inner)]", position: self.position(file, source))
                        }
                    }
                    if let env = item["env"], let entry = env.string {
                        try collectFile(entry, from: directory, field: "\(key)[\(index)].env", position: self.position(file, env))
                    }
                }
            case "generators", "transformers", "validators":
                for (index, item) in Self.items(value) {
                    let at = self.position(file, item)
                    guard let entry = item.string else { continue }
                    if entry.contains("\n") {
                        try refuseFunction(in: entry, field: "\(key)[\(index)]", position: at)
                        continue
                    }
                    let path = try join(directory, entry, field: "\(key)[\(index)]", position: at)
                    switch try fenced(path, field: "\(key)[\(index)]", position: at, entry: entry) {
                    case .directory?: pending.append((path, at, entry))
                    case .file?:
                        let data = try collect(path, position: at)
                        try refuseFunction(in: String(decoding: data, as: UTF8.self), field: "\(key)[\(index)] (\(path))", position: at)
                    case nil: throw missing(key, index, entry, path, at)
                    }
                }
            case "helmCharts", "helmGlobals", "helmChartInflationGenerator":
                throw failure(position, "\(key) inflates a Helm chart with the helm program and the network; Serin does not run it: render the chart into the repository")
            case "openapi":
                if let path = value["path"], let entry = path.string {
                    try collectFile(entry, from: directory, field: "openapi.path", position: self.position(file, path))
                }
            default:
                continue
            }
        }
    }

    /// KRM functions run a program or a container: never here.
    private func refuseFunction(in text: String, field: String, position: SourcePosition) throws {
        guard text.contains("config.kubernetes.io/function") || text.contains("config.k8s.io/function") else { return }
        throw failure(position, "\(field) is an exec or container function; Serin runs no kustomize plugins")
    }

    private mutating func queueDirectory(_ entry: String, from directory: String, field: String, position: SourcePosition?) throws {
        if RepositoryPath.isRemote(entry) || entry.hasPrefix("/") {
            throw failure(position, "\(field) \"\(entry)\" must be a folder of the repository (local and relative); Serin builds with no network")
        }
        let path = try join(directory, entry, field: field, position: position)
        switch try fenced(path, field: field, position: position, entry: entry) {
        case .directory?: pending.append((path, position, entry))
        case .file?: throw failure(position, "\(field) \"\(entry)\" is a file; a component is a folder with a kustomization.yaml")
        case nil: throw failure(position, "\(field) \"\(entry)\": no such folder in the repository (\(path))")
        }
    }

    private mutating func collectFile(_ entry: String, from directory: String, field: String, position: SourcePosition) throws {
        if RepositoryPath.isRemote(entry) {
            throw failure(position, "\(field) \"\(entry)\" is remote: Serin builds from the repository's own files, with no network")
        }
        let path = try join(directory, entry, field: field, position: position)
        switch try fenced(path, field: field, position: position, entry: entry) {
        case .file?: try collect(path, position: position)
        case .directory?: throw failure(position, "\(field) \"\(entry)\" is a folder, not a file")
        case nil: throw failure(position, "\(field) \"\(entry)\": no such file in the repository (\(path))")
        }
    }

    private func join(_ directory: String, _ entry: String, field: String, position: SourcePosition?) throws -> String {
        if entry.hasPrefix("/") {
            throw failure(position, "\(field) \"\(entry)\" is an absolute path; paths are relative to the kustomization and stay inside the repository")
        }
        guard let path = RepositoryPath.join(directory, entry) else {
            throw failure(position, "\(field) \"\(entry)\" leads outside the repository")
        }
        return path
    }

    /// What is at `path`, with a link that leaves the tree turned into the
    /// user's error at the entry that named it.
    private func fenced(_ path: String, field: String, position: SourcePosition?, entry: String) throws -> SourceEntry? {
        do {
            return try files.entry(at: path)
        } catch let error as SourceFileError {
            throw failure(position, "\(field) \"\(entry)\": \(error.message) (\(path)); a link may point only inside the repository")
        }
    }

    @discardableResult
    private mutating func collect(_ path: String, position: SourcePosition?) throws -> Data {
        if let data = collected[path] { return data }
        let data: Data
        do {
            data = try files.read(path, limit: maximumFileSize)
        } catch let error as SourceFileError {
            throw failure(position ?? SourcePosition(file: path), "\(path): \(error.message)")
        }
        total += data.count
        guard total <= maximumTotalSize else {
            throw failure(position ?? SourcePosition(file: path), "the build reads more than \(maximumTotalSize >> 20) MiB of files; point the source at a smaller folder")
        }
        collected[path] = data
        return data
    }

    private func missing(_ key: String, _ index: Int, _ entry: String, _ path: String, _ position: SourcePosition) -> RenderFailure {
        failure(position, "\(key)[\(index)] \"\(entry)\": no such file or folder in the repository (\(path)); Serin builds with no network, so nothing is fetched")
    }

    private func failure(_ position: SourcePosition?, _ message: String) -> RenderFailure {
        RenderFailure(reason: KustomizeRenderer.buildFailed, at: position, message)
    }

    private func position(_ file: String, _ node: Node) -> SourcePosition {
        SourcePosition(file: file, line: node.mark?.line, column: node.mark?.column)
    }

    private static func items(_ node: Node) -> [(Int, Node)] {
        guard case .sequence(let sequence) = node else { return [] }
        return Array(sequence.enumerated())
    }
}
