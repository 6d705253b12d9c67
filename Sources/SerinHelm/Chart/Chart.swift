import Foundation
import SerinTemplate

/// A file of a chart: its path inside the chart (`templates/service.yaml`) and text.
public struct ChartFile: Sendable {
    public var name: String
    public var data: Data
    /// The path inside the repository, for findings.
    public var sourcePath: String

    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// One entry of Chart.yaml's `dependencies` (or requirements.yaml for v1 charts).
public struct ChartDependency: Sendable {
    public var name: String
    public var version: String
    public var repository: String
    public var condition: String
    public var tags: [String]
    public var alias: String
    /// `import-values`: strings (`data` means `exports.data`) or `{child, parent}` maps.
    public var importValues: [Value]
    public var enabled = true
    /// Chart.yaml's entry as written, for `.Chart.Dependencies`.
    public var raw: Value
}

/// A chart as Helm's loader makes it: metadata, values, templates, other
/// files, and its subcharts (from `charts/`).
public struct Chart: Sendable {
    public var name: String
    public var version: String
    public var apiVersion: String
    public var type: String
    public var kubeVersion: String
    /// Chart.yaml's fields, keyed as Helm's `.Chart` map keys them (`Name`, `Version`, `AppVersion`, ...).
    public var metadata: ValueMap
    public var dependencies: [ChartDependency]
    /// values.yaml.
    public var values: ValueMap
    public var schema: String?
    public var templates: [ChartFile]
    /// Every other file (`.Files`), `crds/` included.
    public var files: [ChartFile]
    public var subcharts: [Chart]
    /// The chart's directory inside the repository.
    public var sourcePath: String
    /// `parent/charts/name` path of this chart in the tree of charts (Helm's ChartFullPath).
    public var fullPath: String = ""
    public var isRoot = true

    public var isLibrary: Bool { type == "library" }

    /// Files under `crds/`, in name order (applied before everything else, not templated).
    public var crds: [ChartFile] {
        files.filter { $0.name.hasPrefix("crds/") && ($0.name.hasSuffix(".yaml") || $0.name.hasSuffix(".yml") || $0.name.hasSuffix(".json")) }
            .sorted { $0.name < $1.name }
    }

    /// CRDs of this chart and its subcharts, Helm's `CRDObjects` order.
    public var allCRDs: [(path: String, file: ChartFile)] {
        var out = crds.map { (path: fullPath + "/" + $0.name, file: $0) }
        for subchart in subcharts { out += subchart.allCRDs }
        return out
    }
}
