import SerinTemplate

/// Helm's values for a chart: which dependencies are enabled (`condition`,
/// `tags`, `alias`), `import-values`, then the chart's values.yaml under
/// the given values, subcharts under their names, `global` handed down
/// (chartutil's `ProcessDependencies` and `CoalesceValues`).
public enum ChartValues {
    /// The chart with disabled dependencies removed and aliased ones
    /// renamed, and the values for rendering it.
    public static func prepare(_ chart: Chart, values: ValueMap) throws -> (Chart, ValueMap) {
        var chart = chart
        let user = values.deepCopy()
        try processDependencies(&chart, values: user, path: "")
        chart.assignPaths(parent: nil)
        let coalesced = coalesce(chart, user)
        try importValues(chart, coalesced)
        return (chart, coalesced)
    }

    // MARK: - Dependencies

    /// Subcharts kept: in Chart.yaml's dependencies (or not listed), enabled by condition or tags.
    static func processDependencies(_ chart: inout Chart, values: ValueMap, path: String) throws {
        var byName: [String: Chart] = [:]
        for subchart in chart.subcharts { byName[subchart.name] = subchart }
        var kept: [Chart] = []
        var listed: Set<String> = []
        // Values for deciding conditions: the chart's own values under the user's.
        let scope = coalesceValues(chart.values.deepCopy(), values: Self.table(values, path).deepCopy())
        for index in chart.dependencies.indices {
            var dependency = chart.dependencies[index]
            guard var subchart = byName[dependency.name] else {
                throw ChartValuesError(message: "found in Chart.yaml, but missing in charts/ directory: \(dependency.name)")
            }
            listed.insert(dependency.name)
            dependency.enabled = enabled(dependency, values: scope, root: values)
            chart.dependencies[index] = dependency
            guard dependency.enabled else { continue }
            if !dependency.alias.isEmpty {
                subchart.name = dependency.alias
                subchart.metadata["Name"] = .string(dependency.alias)
            }
            kept.append(subchart)
        }
        // Subcharts in charts/ that Chart.yaml does not list are always rendered.
        for subchart in chart.subcharts where !listed.contains(subchart.name) { kept.append(subchart) }
        for index in kept.indices {
            let subPath = path.isEmpty ? kept[index].name : path + "." + kept[index].name
            try processDependencies(&kept[index], values: values, path: subPath)
        }
        chart.subcharts = kept
    }

    static func table(_ values: ValueMap, _ path: String) -> ValueMap {
        var current = values
        for part in path.split(separator: ".") where !part.isEmpty {
            guard case .map(let next)? = current[String(part)] else { return ValueMap() }
            current = next
        }
        return current
    }

    static func lookup(_ values: ValueMap, _ path: String) -> Value? {
        var current = values
        let parts = path.split(separator: ".").map(String.init)
        for (index, part) in parts.enumerated() {
            guard let next = current[part] else { return nil }
            if index == parts.count - 1 { return next }
            guard case .map(let map) = next else { return nil }
            current = map
        }
        return nil
    }

    /// A condition (first path holding a bool wins) overrides tags (any true tag enables).
    static func enabled(_ dependency: ChartDependency, values: ValueMap, root: ValueMap) -> Bool {
        if !dependency.condition.isEmpty {
            for path in dependency.condition.split(separator: ",") {
                let trimmed = path.trimmingCharacters(in: .whitespaces)
                if case .bool(let flag)? = lookup(values, trimmed) { return flag }
            }
        }
        if !dependency.tags.isEmpty, case .map(let tags)? = root["tags"] ?? values["tags"] {
            var sawTag = false
            for tag in dependency.tags {
                if case .bool(let flag)? = tags[tag] {
                    if flag { return true }
                    sawTag = true
                }
            }
            if sawTag { return false }
        }
        return true
    }

    // MARK: - Coalescing

    /// `values` over the chart's values.yaml, subcharts under their names, globals handed down.
    static func coalesce(_ chart: Chart, _ values: ValueMap) -> ValueMap {
        let merged = coalesceValues(chart.values.deepCopy(), values: values)
        for subchart in chart.subcharts {
            let sub: ValueMap
            if case .map(let existing)? = merged[subchart.name] {
                sub = existing
            } else {
                sub = ValueMap()
            }
            coalesceGlobals(into: sub, from: merged)
            merged[subchart.name] = .map(coalesce(subchart, sub))
        }
        return merged
    }

    /// chartutil's `coalesceValues`: the user's values win; a null removes the key.
    static func coalesceValues(_ chartValues: ValueMap, values: ValueMap) -> ValueMap {
        for (key, value) in chartValues.entries {
            if let existing = values.entries[key] {
                if case .null = existing {
                    values.entries[key] = nil
                } else if case .map(let destination) = existing, case .map(let source) = value {
                    coalesceTables(destination, source)
                }
            } else if case .null = value {
                continue
            } else {
                values.entries[key] = value
            }
        }
        return values
    }

    /// chartutil's `coalesceTablesFullKey`: `destination` keeps its values, gains `source`'s others.
    static func coalesceTables(_ destination: ValueMap, _ source: ValueMap) {
        for (key, value) in source.entries {
            if let existing = destination.entries[key] {
                if case .null = existing {
                    destination.entries[key] = nil
                } else if case .map(let inner) = existing, case .map(let from) = value {
                    coalesceTables(inner, from)
                }
            } else if case .null = value {
                continue
            } else {
                destination.entries[key] = value.deepCopy()
            }
        }
        for (key, value) in destination.entries {
            if case .null = value { destination.entries[key] = nil }
        }
    }

    /// The parent's `global` copied into the subchart's (the parent wins).
    static func coalesceGlobals(into destination: ValueMap, from parent: ValueMap) {
        guard case .map(let parentGlobals)? = parent["global"] else { return }
        let globals: ValueMap
        if case .map(let existing)? = destination["global"] {
            globals = existing
        } else {
            globals = ValueMap()
            destination["global"] = .map(globals)
        }
        for (key, value) in parentGlobals.entries {
            if case .map(let source) = value, case .map(let target)? = globals.entries[key] {
                let copy = source.deepCopy()
                coalesceTables(copy, target)
                globals.entries[key] = .map(copy)
            } else {
                globals.entries[key] = value.deepCopy()
            }
        }
    }

    // MARK: - import-values

    /// Each dependency's `import-values` copied from its values into the parent's;
    /// the parent's own values win.
    static func importValues(_ chart: Chart, _ values: ValueMap) throws {
        for subchart in chart.subcharts {
            guard case .map(let subValues)? = values[subchart.name] else { continue }
            try importValues(subchart, subValues)
        }
        for dependency in chart.dependencies where dependency.enabled && !dependency.importValues.isEmpty {
            let name = dependency.alias.isEmpty ? dependency.name : dependency.alias
            guard case .map(let subValues)? = values[name] else { continue }
            for entry in dependency.importValues {
                var child = "", parent = ""
                switch entry {
                case .string(let text):
                    child = "exports." + text
                    parent = ""
                case .map(let pair):
                    child = pair["child"]?.stringValue ?? ""
                    parent = pair["parent"]?.stringValue ?? ""
                default:
                    continue
                }
                guard let imported = lookup(subValues, child), case .map(let importedMap) = imported.deepCopy() else { continue }
                let target: ValueMap
                if parent.isEmpty || parent == "." {
                    target = values
                } else {
                    target = ensureTable(values, parent)
                }
                // The parent's values win over imported ones.
                let own = target.copy()
                for (key, value) in importedMap.entries { target.entries[key] = value }
                coalesceTablesPreferring(target, own)
            }
        }
    }

    static func coalesceTablesPreferring(_ target: ValueMap, _ own: ValueMap) {
        for (key, value) in own.entries {
            if case .map(let mine) = value, case .map(let theirs)? = target.entries[key], !mine.isSame(as: theirs) {
                let merged = theirs.copy()
                coalesceTablesPreferring(merged, mine)
                target.entries[key] = .map(merged)
            } else {
                target.entries[key] = value
            }
        }
    }

    static func ensureTable(_ values: ValueMap, _ path: String) -> ValueMap {
        var current = values
        for part in path.split(separator: ".").map(String.init) {
            if case .map(let next)? = current[part] {
                current = next
            } else {
                let next = ValueMap()
                current[part] = .map(next)
                current = next
            }
        }
        return current
    }
}

public struct ChartValuesError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
