import Foundation
import SerinHelm
import SerinSpec
import SerinTemplate
import Testing

/// Helm's own `helm template` golden files (pkg/cmd/testdata/output), for
/// the cases of pkg/cmd/template_test.go, rendered byte for byte.
@Suite("Helm's helm template golden files")
struct HelmGoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static var files: SnapshotFiles { SnapshotFiles(root: fixtures) }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var chart: String
        var golden: String
        var set: [(String, Value)] = []
        var valuesFiles: [String] = []
        var releaseName = "release-name"
        var nameTemplate: String?
        var kubeVersion: String?
        var apiVersions: [String] = []
        var includeCRDs = false
        var skipTests = false
        var showOnly: [String] = []
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "check name", chart: "subchart", golden: "template.txt"),
        Case(name: "check set name", chart: "subchart", golden: "template-set.txt", set: [("service.name", .string("apache"))]),
        Case(name: "check values files", chart: "subchart", golden: "template-values-files.txt",
             valuesFiles: ["helm/testcharts/subchart/charts/subchartA/values.yaml"]),
        Case(name: "check name template", chart: "subchart", golden: "template-name-template.txt",
             nameTemplate: "foobar-{{ b64enc \"abc\" | lower }}-baz"),
        Case(name: "check library chart", chart: "lib-chart", golden: "template-lib-chart.txt"),
        Case(name: "check chart bad type", chart: "chart-bad-type", golden: "template-chart-bad-type.txt"),
        Case(name: "check chart with dependency which is an app chart acting as a library chart", chart: "chart-with-template-lib-dep",
             golden: "template-chart-with-template-lib-dep.txt"),
        Case(name: "check kube version", chart: "subchart", golden: "template-with-kube-version.txt", kubeVersion: "1.16.0"),
        Case(name: "check kube api versions", chart: "subchart", golden: "template-with-api-version.txt",
             apiVersions: ["helm.k8s.io/test", "helm.k8s.io/test2"]),
        Case(name: "template with CRDs", chart: "subchart", golden: "template-with-crds.txt", includeCRDs: true),
        Case(name: "template with show-only one", chart: "subchart", golden: "template-show-only-one.txt", showOnly: ["templates/service.yaml"]),
        Case(name: "template with show-only multiple", chart: "subchart", golden: "template-show-only-multiple.txt",
             showOnly: ["templates/service.yaml", "charts/subcharta/templates/service.yaml"]),
        Case(name: "template with show-only glob", chart: "subchart", golden: "template-show-only-glob.txt", showOnly: ["templates/subdir/role*"]),
        Case(name: "sorted output of manifests", chart: "object-order", golden: "object-order.txt"),
        Case(name: "chart with template with invalid yaml", chart: "chart-with-template-with-invalid-yaml", golden: "template-with-invalid-yaml.txt"),
        Case(name: "chart with template with invalid template expression", chart: "chart-with-template-with-invalid-template-expr",
             golden: "template-with-invalid-template-expr-debug-show-only.txt", showOnly: ["templates/alpine-pod.yaml"]),
        Case(name: "template skip-tests", chart: "subchart", golden: "template-skip-tests.txt", skipTests: true),
        Case(name: "ensure nil/null values pass to subcharts delete values", chart: "issue-9027", golden: "issue-9027.txt"),
        Case(name: "template with imported subchart values ensuring import", chart: "subchart", golden: "template-subchart-cm.txt",
             set: [("configmap.enabled", .bool(true)), ("subchartb.enabled", .bool(true))]),
        Case(name: "template with imported subchart values set with --set", chart: "subchart", golden: "template-subchart-cm-set.txt",
             set: [("configmap.enabled", .bool(true)), ("subchartb.enabled", .bool(true)), ("configmap.value", .string("baz"))]),
        Case(name: "template with imported subchart values set with --set file", chart: "subchart", golden: "template-subchart-cm-set-file.txt",
             valuesFiles: ["helm/testcharts/subchart/extra_values.yaml"]),
    ]

    /// Cases of template_test.go not run here, and why.
    static let skipped: [String: String] = [
        "check no args": "the helm command line's own usage error",
        "check chart with dependency which is an app chart archive acting as a library chart": "packaged (.tgz) subcharts are refused: Serin reads charts from Git as directories",
        "chart with template with invalid yaml (--debug)": "--debug prints the invalid YAML before the error; Serin reports the error alone",
    ]

    /// What `helm template` prints for the case, or `Error: ...` as the command does.
    static func output(_ test: Case) -> String {
        do {
            let chart = try ChartLoader(files: files).load("helm/testcharts/" + test.chart)
            let values = ValueMap()
            for path in test.valuesFiles {
                let text = try String(contentsOfFile: fixtures + "/" + path, encoding: .utf8)
                HelmValues.merge(values, try GoYAML.decodeValues(text))
            }
            for (path, value) in test.set { HelmValues.set(values, path: path, value) }
            var releaseName = test.releaseName
            if let template = test.nameTemplate {
                var set = TemplateSet(functions: HelmFunctions.table())
                try set.parse(name: "name-template", text: template)
                releaseName = try set.execute("name-template", data: .missing)
            }
            var capabilities = HelmCapabilities.helmTests
            if let version = test.kubeVersion { capabilities = HelmCapabilities(kubeVersion: version, apiVersions: capabilities.apiVersions) }
            capabilities.apiVersions += test.apiVersions
            let rendered = try ChartRenderer().render(chart, values: values,
                                                      release: HelmReleaseInfo(name: releaseName, namespace: "default"),
                                                      capabilities: capabilities)
            let text = rendered.templateOutput(includeCRDs: test.includeCRDs, skipTests: test.skipTests)
            return test.showOnly.isEmpty ? text : showOnly(text, test.showOnly)
        } catch let error as RenderFailure {
            return "Error: \(error.message)\n"
        } catch let error as ManifestError {
            return "Error: \(error.message)\n\nUse --debug flag to render out invalid YAML\n"
        } catch {
            return "Error: \(error)\n"
        }
    }

    /// `helm template --show-only`: the documents whose source matches, in output order.
    static func showOnly(_ text: String, _ patterns: [String]) -> String {
        // Helm's SplitManifests: cut where a line starts with ---, leading space trimmed.
        var documents: [String] = []
        let bytes = Array(text.utf8)
        var start = 0
        var index = 0
        while index < bytes.count {
            if (index == 0 || bytes[index - 1] == 0x0A) && index + 3 <= bytes.count && bytes[index..<(index + 3)] == [0x2D, 0x2D, 0x2D] {
                documents.append(String(decoding: bytes[start..<index], as: UTF8.self))
                index += 3
                while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09) { index += 1 }
                start = index
                continue
            }
            index += 1
        }
        documents.append(String(decoding: bytes[start...], as: UTF8.self))
        documents = documents.map { String($0.drop { $0.isWhitespace }) }.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        var out = ""
        for pattern in patterns {
            for document in documents {
                guard let line = document.split(separator: "\n").first, line.hasPrefix("# Source: ") else { continue }
                let source = line.dropFirst("# Source: ".count)
                guard let slash = source.firstIndex(of: "/") else { continue }
                if HelmGlob.match(pattern, String(source[source.index(after: slash)...])) { out += "---\n\(document)\n" }
            }
        }
        return out
    }

    @Test func goldens() throws {
        var passed = 0
        var failures: [String] = []
        for test in Self.cases {
            let golden = try String(contentsOfFile: Self.fixtures + "/helm/output/" + test.golden, encoding: .utf8)
            let output = Self.output(test)
            if output == golden {
                passed += 1
            } else {
                failures.append("\(test.name) (\(test.golden)):\n--- got\n\(output)\n--- want\n\(golden)")
            }
        }
        print("Helm template goldens: \(passed) of \(Self.cases.count) byte for byte; skipped \(Self.skipped.count):")
        for (name, reason) in Self.skipped.sorted(by: { $0.key < $1.key }) { print("  \(name): \(reason)") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }
}
