import SerinTemplate

/// Helm's engine (`pkg/engine`): every template of a chart and its
/// subcharts parsed into one set (deeper paths first, so a parent's
/// `define` wins), each non-partial template run on its chart's values,
/// `<no value>` removed.
public struct HelmEngine: Sendable {
    /// `missingkey=error` instead of Helm's default `missingkey=zero`.
    public var strict: Bool
    public var options: ExecutionOptions

    public init(strict: Bool = false, options: ExecutionOptions = ExecutionOptions()) {
        self.strict = strict
        self.options = options
        self.options.missingKey = strict ? .error : .zero
    }

    struct Renderable {
        var text: String
        var values: ValueMap
        var basePath: String
        var sourcePath: String
    }

    /// The rendered text of every template (partials excluded), by Helm's
    /// template name (`chart/templates/service.yaml`).
    public func render(_ chart: Chart, values: ValueMap, release: HelmReleaseInfo,
                       capabilities: HelmCapabilities, refusals: RefusalLog? = nil) throws -> [String: String] {
        var templates: [String: Renderable] = [:]
        let top = ValueMap([
            "Release": release.value,
            "Capabilities": capabilities.value,
            "Values": .map(values),
        ])
        _ = collect(chart, top: top, into: &templates)
        var set = TemplateSet(functions: HelmFunctions.table(strict: strict, refusals: refusals), options: options)
        set.name = "gotpl"
        let keys = Self.sortTemplates(Array(templates.keys))
        for name in keys {
            do {
                try set.parse(name: name, text: templates[name]!.text)
            } catch let error as ParseError {
                throw HelmRenderError.parse(error, sourcePath: templates[name]?.sourcePath ?? name, templateName: name)
            }
        }
        var rendered: [String: String] = [:]
        for name in keys {
            if (name.split(separator: "/").last ?? "").hasPrefix("_") { continue }
            let renderable = templates[name]!
            renderable.values["Template"] = .dictionary(["Name": .string(name), "BasePath": .string(renderable.basePath)])
            refusals?.begin(name)
            do {
                let output = try set.execute(name, data: .map(renderable.values))
                rendered[name] = output.replacingOccurrences(of: "<no value>", with: "")
            } catch let error as ExecError {
                throw HelmRenderError.execution(error, templateName: name, sourcePaths: templates.mapValues(\.sourcePath))
            }
        }
        return rendered
    }

    /// Templates rendered alone, each on `data` (Helm's engine tests render a map of templates this way).
    public func render(templates: [String: String], data: ValueMap) throws -> [String: String] {
        var set = TemplateSet(functions: HelmFunctions.table(strict: strict), options: options)
        set.name = "gotpl"
        let keys = Self.sortTemplates(Array(templates.keys))
        for name in keys {
            do {
                try set.parse(name: name, text: templates[name]!)
            } catch let error as ParseError {
                throw HelmRenderError.parse(error, sourcePath: name, templateName: name)
            }
        }
        var rendered: [String: String] = [:]
        for name in keys where !(name.split(separator: "/").last ?? "").hasPrefix("_") {
            let values = data.copy()
            let base = name.components(separatedBy: "/templates/").first.map { $0 + "/templates" } ?? ""
            values["Template"] = .dictionary(["Name": .string(name), "BasePath": .string(base)])
            do {
                rendered[name] = try set.execute(name, data: .map(values)).replacingOccurrences(of: "<no value>", with: "")
            } catch let error as ExecError {
                throw HelmRenderError.execution(error, templateName: name, sourcePaths: [:])
            }
        }
        return rendered
    }

    /// recAllTpls: the values each chart's templates see, and its templates.
    func collect(_ chart: Chart, top: ValueMap, into templates: inout [String: Renderable]) -> ValueMap {
        var files: [String: String] = [:]
        for file in chart.files { files[file.name] = file.text }
        let subcharts = ValueMap()
        let next = ValueMap([
            "Chart": .map(chart.metadata),
            "Files": FilesValue.make(files),
            "Release": top["Release"] ?? .null,
            "Capabilities": top["Capabilities"] ?? .null,
            "Values": .map(ValueMap()),
            "Subcharts": .map(subcharts),
        ])
        if chart.isRoot {
            next["Values"] = top["Values"]
        } else if case .map(let parentValues)? = top["Values"], case .map(let mine)? = parentValues[chart.name] {
            next["Values"] = .map(mine)
        }
        for subchart in chart.subcharts {
            subcharts[subchart.name] = .map(collect(subchart, top: next, into: &templates))
        }
        for template in chart.templates {
            if chart.isLibrary && !(template.name.split(separator: "/").last ?? "").hasPrefix("_") { continue }
            templates[chart.fullPath + "/" + template.name] = Renderable(
                text: template.text, values: next, basePath: chart.fullPath + "/templates", sourcePath: template.sourcePath)
        }
        return next
    }

    /// Helm's `sortTemplates`: more path components first, then reverse name order.
    static func sortTemplates(_ names: [String]) -> [String] {
        names.sorted { a, b in
            let ca = a.filter { $0 == "/" }.count, cb = b.filter { $0 == "/" }.count
            if ca != cb { return ca > cb }
            return b.utf8.lexicographicallyPrecedes(a.utf8)
        }
    }
}

/// A template that cannot be parsed or run, with Helm's words and where.
public enum HelmRenderError: Error, Sendable, CustomStringConvertible {
    case parse(ParseError, sourcePath: String, templateName: String)
    case execution(ExecError, templateName: String, sourcePaths: [String: String])

    /// As `helm template` prints it.
    public var description: String {
        switch self {
        case .parse(let error, _, _):
            // Helm's cleanupParseError: location and the last part of the message.
            let text = error.description
            let tokens = text.components(separatedBy: ": ")
            if tokens.count == 1 { return "parse error in (\(error.name)): \(text)" }
            return "parse error at (\(tokens[1])): \(tokens[tokens.count - 1])"
        case .execution(let error, _, _):
            if let failure = Self.templateFailure(error) {
                let location = error.file.map { "\($0):\(error.line ?? 0):\(error.column ?? 0)" } ?? error.template
                return "execution error at (\(location)): \(failure.message)"
            }
            return Self.trace(error)
        }
    }

    /// Helm's `reformatExecErrorMsg`: each template of the chain on its own
    /// lines (location, what ran, the message), when every error in the
    /// chain is a template's; else Go's message as it is.
    static func trace(_ error: ExecError) -> String {
        var lines: [(location: String, function: String, message: String)] = []
        var next: (any Error)? = error
        while let current = next {
            if let missing = current as? MissingTemplateError {
                lines.append(("", "", missing.description))
                break
            }
            guard let exec = current as? ExecError else { return error.description }
            var message = exec.message
            if let cut = message.range(of: " template:") { message = String(message[..<cut.lowerBound]) }
            let entry: (String, String, String)
            if let file = exec.file, let line = exec.line, let column = exec.column, let context = exec.context {
                entry = ("\(file):\(line):\(column)", "executing \(GoQuote.quote(exec.template)) at <\(context)>:", message)
            } else {
                entry = (exec.template, "", message)
            }
            if lines.last.map({ $0 != entry }) ?? true { lines.append(entry) }
            next = exec.underlying
        }
        var out = ""
        for line in lines {
            if !line.location.isEmpty { out += line.location + "\n  " }
            if !line.function.isEmpty { out += line.function + "\n    " }
            if !line.message.isEmpty { out += line.message + "\n" }
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func templateFailure(_ error: any Error) -> HelmTemplateFailure? {
        if let failure = error as? HelmTemplateFailure { return failure }
        if let exec = error as? ExecError, let underlying = exec.underlying { return templateFailure(underlying) }
        if let tpl = error as? TplFailure { return templateFailure(tpl.underlying) }
        return nil
    }

    /// The innermost place the error names: the template file in the repository, line and column (1-based).
    public var position: (file: String, line: Int, column: Int) {
        switch self {
        case .parse(let error, let sourcePath, _):
            return (sourcePath, error.line, 0)
        case .execution(let error, let templateName, let sourcePaths):
            var innermost = error
            var next: (any Error)? = error.underlying
            while let current = next {
                if let exec = current as? ExecError {
                    if exec.file != nil { innermost = exec }
                    next = exec.underlying
                } else if let tpl = current as? TplFailure {
                    next = tpl.underlying
                } else {
                    next = nil
                }
            }
            let file = innermost.file.flatMap { sourcePaths[$0] } ?? sourcePaths[templateName] ?? templateName
            return (file, innermost.line ?? 0, (innermost.column ?? -1) + 1)
        }
    }
}
