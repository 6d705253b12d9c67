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
        importValues(&chart)
        let coalesced = coalesce(chart, user)
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

    /// `values` over the chart's values.yaml, subcharts under their names,
    /// globals handed down (chartutil's `coalesce`, not merging).
    static func coalesce(_ chart: Chart, _ values: ValueMap, merge: Bool = false) -> ValueMap {
        coalesceValues(chart, values: values, merge: merge)
        for subchart in chart.subcharts {
            let sub: ValueMap
            if case .map(let existing)? = values[subchart.name] {
                sub = existing
            } else {
                sub = ValueMap()
                values[subchart.name] = .map(sub)
            }
            coalesceGlobals(into: sub, from: values)
            values[subchart.name] = .map(coalesce(subchart, sub, merge: merge))
        }
        return values
    }

    /// chartutil's `coalesceValues`: the given values win over the chart's;
    /// a given null removes the key; the chart's own nulls are dropped.
    static func coalesceValues(_ chart: Chart, values: ValueMap, merge: Bool = false) {
        let subchartNames = Set(chart.subcharts.map(\.name))
        for (key, value) in chart.values.deepCopy().entries {
            if let existing = values.entries[key] {
                if case .null = existing, !merge {
                    values.entries[key] = nil
                } else if case .map(let destination) = existing, case .map(let source) = value {
                    let name: String = { if case .string(let text) = key { return text } else { return "" } }()
                    let mergeHere = subchartNames.contains(name) ? true : merge
                    if !mergeHere { cleanNilValues(source) }
                    coalesceTables(destination, source, merge: mergeHere)
                }
            } else {
                if !merge {
                    if case .null = value { continue }
                    if case .map(let sub) = value { cleanNilValues(sub) }
                }
                values.entries[key] = value
            }
        }
    }

    static func coalesceValues(_ chartValues: ValueMap, values: ValueMap) -> ValueMap {
        let chart = Chart(name: "", version: "", apiVersion: "v2", type: "", kubeVersion: "", metadata: ValueMap(), dependencies: [],
                          values: chartValues, schema: nil, templates: [], files: [], subcharts: [], sourcePath: "")
        coalesceValues(chart, values: values)
        return values
    }

    static func cleanNilValues(_ map: ValueMap) {
        for (key, value) in map.entries {
            if case .null = value {
                map.entries[key] = nil
            } else if case .map(let sub) = value {
                cleanNilValues(sub)
            }
        }
    }

    /// chartutil's `coalesceTablesFullKey`: `destination` keeps its values
    /// and gains `source`'s others; a null in `destination` over a value in
    /// `source` removes the key unless merging.
    static func coalesceTables(_ destination: ValueMap, _ source: ValueMap, merge: Bool = false) {
        var originalNonNil: Set<MapKey> = []
        for (key, value) in source.entries {
            if case .null = value { continue }
            originalNonNil.insert(key)
        }
        for (key, value) in destination.entries {
            if case .null = value { source.entries[key] = .null }
        }
        for (key, value) in source.entries {
            let existing = destination.entries[key]
            switch (existing, value) {
            case (.null?, _) where !merge && originalNonNil.contains(key):
                destination.entries[key] = nil
            case (nil, _):
                destination.entries[key] = value
            case (.map(let inner)?, .map(let from)):
                coalesceTables(inner, from, merge: merge)
            default:
                break
            }
        }
    }

    /// chartutil's `coalesceGlobals`: the parent's `global` into the
    /// subchart's, the parent's tables winning.
    static func coalesceGlobals(into destination: ValueMap, from parent: ValueMap) {
        let globals: ValueMap
        switch destination["global"] {
        case nil: globals = ValueMap()
        case .map(let existing)?: globals = existing
        default: return
        }
        let source: ValueMap
        switch parent["global"] {
        case nil: source = ValueMap()
        case .map(let existing)?: source = existing
        default: return
        }
        for (key, value) in source.entries {
            if case .map(let table) = value {
                let copy = table.deepCopy()
                if let existing = globals.entries[key] {
                    if case .map(let mine) = existing {
                        coalesceTables(copy, mine, merge: true)
                        globals.entries[key] = .map(copy)
                    }
                } else {
                    globals.entries[key] = .map(copy)
                }
            } else if case .map? = globals.entries[key] {
                continue
            } else {
                globals.entries[key] = value
            }
        }
        destination["global"] = .map(globals)
    }

    // MARK: - import-values

    /// chartutil's `processImportValues`, subcharts first: each dependency's
    /// `import-values` copied from the chart's merged defaults (its values
    /// with its subcharts' under their names) into the chart's defaults;
    /// the chart's own values win over imported ones.
    static func importValues(_ chart: inout Chart) {
        for index in chart.subcharts.indices { importValues(&chart.subcharts[index]) }
        guard chart.dependencies.contains(where: { $0.enabled && !$0.importValues.isEmpty }) else { return }
        let merged = mergedDefaults(chart)
        let imported = ValueMap()
        for dependency in chart.dependencies where dependency.enabled {
            let name = dependency.alias.isEmpty ? dependency.name : dependency.alias
            for entry in dependency.importValues {
                var child = "", parent = "."
                switch entry {
                case .string(let text): child = "exports." + text
                case .map(let pair):
                    child = pair["child"]?.stringValue ?? ""
                    parent = pair["parent"]?.stringValue ?? ""
                default: continue
                }
                guard case .map(let table)? = lookup(merged, name + "." + child) else { continue }
                mergeTables(imported, pathToMap(parent, table.deepCopy()))
            }
        }
        mergeTables(merged, imported)
        chart.values = merged
    }

    /// The chart's values with its subcharts' defaults under their names (chartutil's `MergeValues(c, nil)`).
    static func mergedDefaults(_ chart: Chart) -> ValueMap {
        let values = chart.values.deepCopy()
        for subchart in chart.subcharts {
            let sub: ValueMap
            if case .map(let existing)? = values[subchart.name] { sub = existing } else {
                sub = ValueMap()
                values[subchart.name] = .map(sub)
            }
            mergeTables(sub, mergedDefaults(subchart))
        }
        return values
    }

    /// chartutil's `MergeTables`: `destination` keeps its values (nulls too), gains the others.
    static func mergeTables(_ destination: ValueMap, _ source: ValueMap) {
        for (key, value) in source.entries {
            if let existing = destination.entries[key] {
                if case .map(let inner) = existing, case .map(let from) = value { mergeTables(inner, from) }
            } else {
                destination.entries[key] = value
            }
        }
    }

    static func pathToMap(_ path: String, _ data: ValueMap) -> ValueMap {
        if path == "." || path.isEmpty { return data }
        let parts = path.split(separator: ".").map(String.init)
        var current = data
        for part in parts.reversed() { current = ValueMap([part: .map(current)]) }
        return current
    }

    /// The table at `path`, made where missing.
    static func ensureTable<Parts: Sequence>(_ values: ValueMap, _ path: Parts) -> ValueMap where Parts.Element == String {
        var current = values
        for part in path {
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
