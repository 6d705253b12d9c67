import Foundation
import SerinSpec
import SerinTemplate
import Yams

/// Reads a chart directory from a commit's tree (`SourceFiles`, fenced to
/// the tree), as Helm's directory loader does: Chart.yaml (apiVersion v2,
/// or v1 with requirements.yaml), values.yaml, values.schema.json,
/// templates/, charts/ (subchart directories), every other file as
/// `.Files`, `.helmignore` honoured.
public struct ChartLoader: Sendable {
    public var files: any SourceFiles
    /// Files larger than this are refused.
    public var maximumFileSize: Int
    /// How many files one chart (with its subcharts) may have.
    public var maximumFiles: Int

    public init(files: any SourceFiles, maximumFileSize: Int = 4 << 20, maximumFiles: Int = 10_000) {
        self.files = files
        self.maximumFileSize = maximumFileSize
        self.maximumFiles = maximumFiles
    }

    public func load(_ path: String) throws -> Chart {
        var chart = try load(path, depth: 0)
        chart.assignPaths(parent: nil)
        return chart
    }

    func failure(_ path: String, _ message: String, line: Int? = nil) -> RenderFailure {
        RenderFailure(reason: "ChartInvalid", at: SourcePosition(file: path, line: line ?? 0, column: line == nil ? 0 : 1), message)
    }

    func load(_ path: String, depth: Int) throws -> Chart {
        guard depth < 20 else { throw failure(path, "subcharts nest more than 20 deep") }
        let chartYAML = join(path, "Chart.yaml")
        guard case .file? = try files.entry(at: chartYAML) else {
            throw failure(path, "Chart.yaml file is missing: \(chartYAML) does not exist in the repository; point the HelmRelease's chart at a chart directory")
        }
        let ignore = HelmIgnore(try readText(join(path, ".helmignore"), optional: true) ?? "")
        var all: [String] = []
        try walk(path, relative: "", ignore: ignore, into: &all)

        var chart = try metadata(try readText(chartYAML) ?? "", file: chartYAML)
        chart.sourcePath = path
        var requirements: String?
        for name in all {
            let full = join(path, name)
            switch name {
            case "Chart.yaml":
                continue
            case "values.yaml":
                do {
                    chart.values = try GoYAML.decodeValues(try readText(full) ?? "")
                } catch let error as GoYAML.DecodeError {
                    throw failure(full, "cannot load values.yaml: \(error.message)", line: error.line)
                }
            case "values.schema.json":
                chart.schema = try readText(full)
            case "requirements.yaml":
                requirements = try readText(full)
            case "requirements.lock", "Chart.lock":
                continue
            default:
                if name.hasPrefix("charts/") {
                    continue
                } else if name.hasPrefix("templates/") {
                    chart.templates.append(ChartFile(name: name, data: try files.read(full, limit: maximumFileSize), sourcePath: full))
                } else {
                    chart.files.append(ChartFile(name: name, data: try files.read(full, limit: maximumFileSize), sourcePath: full))
                }
            }
        }
        if chart.apiVersion == "v1", let requirements {
            chart.dependencies = try dependencies(requirements, file: join(path, "requirements.yaml"))
            chart.metadata["Dependencies"] = .array(chart.dependencies.map(\.raw))
        }
        // Subcharts: every directory of charts/ with a Chart.yaml; packaged ones refused.
        let chartsFolder = join(path, "charts")
        if case .directory? = try files.entry(at: chartsFolder) {
            for name in try files.list(chartsFolder) where !name.hasPrefix(".") && !ignore.ignores("charts/" + name, isDirectory: true) {
                let sub = join(chartsFolder, name)
                switch try files.entry(at: sub) {
                case .directory?:
                    chart.subcharts.append(try load(sub, depth: depth + 1))
                case .file? where name.hasSuffix(".tgz") || name.hasSuffix(".tar.gz"):
                    throw failure(sub, "packaged subchart \(name): Serin reads charts from Git as directories; commit the subchart unpacked under \(chartsFolder)/ instead of the archive")
                default:
                    continue
                }
            }
        }
        return chart
    }

    func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

    func readText(_ path: String, optional: Bool = false) throws -> String? {
        if optional, try files.entry(at: path) == nil { return nil }
        let data = try files.read(path, limit: maximumFileSize)
        guard let text = String(data: data, encoding: .utf8) else { throw failure(path, "file is not UTF-8 text") }
        return text
    }

    /// Every file under the chart (relative paths, name order), `.helmignore` applied, charts/ not entered.
    func walk(_ root: String, relative: String, ignore: HelmIgnore, into found: inout [String]) throws {
        let folder = relative.isEmpty ? root : join(root, relative)
        for name in try files.list(folder) {
            let path = relative.isEmpty ? name : relative + "/" + name
            switch try files.entry(at: join(root, path)) {
            case .directory?:
                if ignore.ignores(path, isDirectory: true) { continue }
                if path == "charts" { continue }
                try walk(root, relative: path, ignore: ignore, into: &found)
            case .file?:
                if ignore.ignores(path, isDirectory: false) { continue }
                // Helm ignores dot files inside templates/.
                if path.hasPrefix("templates/") && name.hasPrefix(".") { continue }
                found.append(path)
                if found.count > maximumFiles { throw failure(root, "the chart has more than \(maximumFiles) files") }
            case nil:
                continue
            }
        }
    }

    // MARK: - Chart.yaml

    static let metadataNames: [String: String] = [
        "name": "Name", "home": "Home", "sources": "Sources", "version": "Version", "description": "Description",
        "keywords": "Keywords", "maintainers": "Maintainers", "icon": "Icon", "apiVersion": "APIVersion",
        "condition": "Condition", "tags": "Tags", "appVersion": "AppVersion", "deprecated": "Deprecated",
        "annotations": "Annotations", "kubeVersion": "KubeVersion", "dependencies": "Dependencies", "type": "Type",
    ]

    func metadata(_ text: String, file: String) throws -> Chart {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch {
            throw failure(file, "cannot load Chart.yaml: \(error)")
        }
        var fields: [String: Yams.Node] = [:]
        if case .mapping(let mapping)? = root {
            for (key, value) in mapping { if let name = key.scalar?.string { fields[name] = value } }
        }
        func string(_ name: String) -> String { fields[name]?.scalar?.string ?? "" }
        func strings(_ name: String) -> [String] { fields[name]?.sequence?.compactMap { $0.scalar?.string } ?? [] }
        let name = string("name"), version = string("version")
        var apiVersion = string("apiVersion")
        if apiVersion.isEmpty {
            throw failure(file, "validation: chart.metadata.apiVersion is required")
        }
        if name.isEmpty { throw failure(file, "validation: chart.metadata.name is required") }
        if version.isEmpty { throw failure(file, "validation: chart.metadata.version is required") }
        if apiVersion != "v1" && apiVersion != "v2" && apiVersion != "v3" {
            throw failure(file, "validation: chart.metadata.apiVersion \(GoQuote.quote(apiVersion)) is not valid; use v2")
        }
        let type = string("type")
        if !type.isEmpty && type != "application" && type != "library" {
            throw failure(file, "validation: chart.metadata.type must be application or library")
        }
        if apiVersion == "v3" { apiVersion = "v2" }
        var map: [String: Value] = [
            "Name": .string(name), "Home": .string(string("home")), "Sources": .strings(strings("sources")).asInterfaceList,
            "Version": .string(version), "Description": .string(string("description")),
            "Keywords": .strings(strings("keywords")).asInterfaceList, "Maintainers": .array([]), "Icon": .string(string("icon")),
            "APIVersion": .string(string("apiVersion")), "Condition": .string(string("condition")), "Tags": .string(string("tags")),
            "AppVersion": .string(string("appVersion")), "Deprecated": .bool(GoYAML.resolve(string("deprecated")) == .bool(true)),
            "Annotations": .typedNil(.map(.string, .string)), "KubeVersion": .string(string("kubeVersion")),
            "Dependencies": .array([]), "Type": .string(type),
        ]
        if case .sequence(let maintainers)? = fields["maintainers"] {
            map["Maintainers"] = .array(maintainers.map { node in
                var entry: [String: Value] = ["Name": .string(""), "Email": .string(""), "URL": .string("")]
                if case .mapping(let mapping) = node {
                    for (key, value) in mapping {
                        switch key.scalar?.string {
                        case "name": entry["Name"] = .string(value.scalar?.string ?? "")
                        case "email": entry["Email"] = .string(value.scalar?.string ?? "")
                        case "url": entry["URL"] = .string(value.scalar?.string ?? "")
                        default: break
                        }
                    }
                }
                return .dictionary(entry)
            })
        }
        if case .mapping(let annotations)? = fields["annotations"] {
            var entries: [String: Value] = [:]
            for (key, value) in annotations { entries[key.scalar?.string ?? ""] = .string(value.scalar?.string ?? "") }
            map["Annotations"] = .map(ValueMap(entries, type: .map(.string, .string)))
        }
        var chart = Chart(name: name, version: version, apiVersion: apiVersion, type: type, kubeVersion: string("kubeVersion"),
                          metadata: ValueMap(map), dependencies: [], values: ValueMap(), schema: nil, templates: [], files: [],
                          subcharts: [], sourcePath: "")
        if let node = fields["dependencies"] {
            chart.dependencies = try dependencies(node, file: file)
        }
        chart.metadata["Dependencies"] = .array(chart.dependencies.map(\.raw))
        return chart
    }

    static func value(_ mapping: Yams.Node.Mapping, _ key: String) -> Yams.Node? {
        mapping.first { $0.key.scalar?.string == key }?.value
    }

    func dependencies(_ text: String, file: String) throws -> [ChartDependency] {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text, Resolver.basic)
        } catch {
            throw failure(file, "cannot load requirements.yaml: \(error)")
        }
        guard case .mapping(let mapping)? = root, let node = Self.value(mapping, "dependencies") else { return [] }
        return try dependencies(node, file: file)
    }

    func dependencies(_ node: Yams.Node, file: String) throws -> [ChartDependency] {
        guard case .sequence(let items) = node else { return [] }
        return try items.map { item in
            guard case .mapping(let mapping) = item else { throw failure(file, "dependencies must be a list of maps") }
            var fields: [String: Yams.Node] = [:]
            for (key, value) in mapping { if let name = key.scalar?.string { fields[name] = value } }
            func string(_ name: String) -> String { fields[name]?.scalar?.string ?? "" }
            let tags = fields["tags"]?.sequence?.compactMap { $0.scalar?.string } ?? []
            var imports: [Value] = []
            if let node = fields["import-values"], case .sequence(let entries) = node {
                for entry in entries {
                    if let text = entry.scalar?.string {
                        imports.append(.string(text))
                    } else if case .mapping(let pair) = entry {
                        imports.append(.dictionary(["child": .string(Self.value(pair, "child")?.scalar?.string ?? ""),
                                                    "parent": .string(Self.value(pair, "parent")?.scalar?.string ?? "")]))
                    }
                }
            }
            let dependency = ChartDependency(
                name: string("name"), version: string("version"), repository: string("repository"),
                condition: string("condition"), tags: tags, alias: string("alias"), importValues: imports,
                raw: .dictionary([
                    "Name": .string(string("name")), "Version": .string(string("version")),
                    "Repository": .string(string("repository")), "Condition": .string(string("condition")),
                    "Tags": .strings(tags).asInterfaceList, "Enabled": .bool(false), "ImportValues": .array(imports),
                    "Alias": .string(string("alias")),
                ]))
            if dependency.name.isEmpty { throw failure(file, "validation: dependencies must have a name") }
            return dependency
        }
    }
}

extension Value {
    /// A `[]string` as Helm's structToMap hands it to templates: `[]interface {}`.
    var asInterfaceList: Value {
        if case .list(var list) = self {
            list.type = .slice(.interface)
            return .list(list)
        }
        return self
    }
}

extension Chart {
    mutating func assignPaths(parent: String?) {
        fullPath = parent.map { $0 + "/charts/" + name } ?? name
        isRoot = parent == nil
        metadata["IsRoot"] = .bool(isRoot)
        for index in subcharts.indices { subcharts[index].assignPaths(parent: fullPath) }
    }
}

/// `.helmignore`: one pattern a line, `#` comments, `!` negation, a
/// trailing `/` for directories only; a pattern without `/` matches a name
/// at any depth, one with `/` the path from the chart's root.
public struct HelmIgnore: Sendable {
    struct Rule: Sendable {
        var pattern: String
        var negate: Bool
        var directoryOnly: Bool
    }

    var rules: [Rule] = []

    public init(_ text: String) {
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negate = false
            if line.hasPrefix("!") {
                negate = true
                line.removeFirst()
            }
            var directoryOnly = false
            if line.hasSuffix("/") {
                directoryOnly = true
                line.removeLast()
            }
            if line.hasPrefix("/") { line.removeFirst() }
            rules.append(Rule(pattern: line, negate: negate, directoryOnly: directoryOnly))
        }
    }

    public func ignores(_ path: String, isDirectory: Bool) -> Bool {
        var ignored = false
        let name = String(path.split(separator: "/").last ?? "")
        for rule in rules {
            if rule.directoryOnly && !isDirectory { continue }
            let target = rule.pattern.contains("/") ? path : name
            if Glob.matches(rule.pattern, target) { ignored = !rule.negate }
        }
        return ignored
    }
}

/// Go's `filepath.Match` (`*`, `?`, `[...]`), and `**` for any depth as Helm's `Files.Glob` allows.
enum Glob {
    static func matches(_ pattern: String, _ text: String, separator: Character? = nil) -> Bool {
        match(Array(pattern), 0, Array(text), 0, separator)
    }

    static func match(_ p: [Character], _ pi: Int, _ t: [Character], _ ti: Int, _ separator: Character?) -> Bool {
        if pi == p.count { return ti == t.count }
        switch p[pi] {
        case "*":
            let doubled = pi + 1 < p.count && p[pi + 1] == "*"
            let next = doubled ? pi + 2 : pi + 1
            var index = ti
            while true {
                if match(p, next, t, index, separator) { return true }
                if index == t.count { return false }
                if !doubled, let separator, t[index] == separator { return false }
                index += 1
            }
        case "?":
            guard ti < t.count, t[ti] != separator else { return false }
            return match(p, pi + 1, t, ti + 1, separator)
        case "[":
            guard ti < t.count, let close = p[(pi + 1)...].firstIndex(of: "]") else { return false }
            var set = Array(p[(pi + 1)..<close])
            var negate = false
            if set.first == "^" || set.first == "!" { negate = true; set.removeFirst() }
            var found = false
            var index = 0
            while index < set.count {
                if index + 2 < set.count && set[index + 1] == "-" {
                    if set[index] <= t[ti] && t[ti] <= set[index + 2] { found = true }
                    index += 3
                } else {
                    if set[index] == t[ti] { found = true }
                    index += 1
                }
            }
            return found != negate && match(p, close + 1, t, ti + 1, separator)
        case "\\" where pi + 1 < p.count:
            return ti < t.count && t[ti] == p[pi + 1] && match(p, pi + 2, t, ti + 1, separator)
        default:
            return ti < t.count && t[ti] == p[pi] && match(p, pi + 1, t, ti + 1, separator)
        }
    }
}
