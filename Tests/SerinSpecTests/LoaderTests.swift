import Testing
@testable import SerinSpec

@Suite struct LoaderTests {
    @Test func pointsAtTheValueWithFileLineAndColumn() {
        let yaml = canaryYAML(analysis: """
        interval: 1m
        threshold: 5
        stepWeight: 150
        """)
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let line = lines.firstIndex { $0.contains("stepWeight: 150") }! + 1
        let column = lines[line - 1].range(of: "150")!.lowerBound.utf16Offset(in: lines[line - 1]) + 1
        #expect(errors(yaml, file: "deploy/web.yaml") == ["deploy/web.yaml:\(line):\(column): analysis.stepWeight must be between 1 and 100, got 150"])
    }

    @Test func reportsEveryErrorNotOnlyTheFirst() {
        let yaml = canaryYAML(analysis: """
        interval: 10 seconds
        threshold: 0
        stepWeight: 30
        maxWeight: 20
        stepWeights: [5, 5]
        """)
        let messages = validate(yaml).errors.map(\.message)
        #expect(messages.contains("analysis.interval must be a duration such as 30s, 1m or 1m30s, got \"10 seconds\""))
        #expect(messages.contains("analysis.threshold must be at least 1, got 0"))
        #expect(messages.contains("analysis.maxWeight must be at least stepWeight (30), got 20"))
        #expect(messages.contains("analysis.stepWeights[1] must be greater than the step before it (5), got 5"))
        #expect(messages.count == 4, "\(messages)")
    }

    @Test func unknownFieldsSuggestTheClosestKnownOne() {
        let yaml = canaryYAML(analysis: """
        interval: 1m
        stepWeigth: 10
        """)
        let messages = validate(yaml).errors.map(\.message)
        #expect(messages.contains("analysis.stepWeigth is not a known field; did you mean \"stepWeight\"?"))
    }

    @Test func unknownFieldFarFromAnyKnownOneHasNoSuggestion() {
        let yaml = canaryYAML(analysis: "interval: 1m\nstepWeight: 10\ncolour: blue")
        #expect(validate(yaml).errors.map(\.message).contains("analysis.colour is not a known field"))
    }

    @Test(arguments: [
        ("stepWeight: \"10\"", "analysis.stepWeight must be an integer, got string \"10\""),
        ("stepWeight: ten", "analysis.stepWeight must be an integer, got string \"ten\""),
        ("stepWeight: 1.5", "analysis.stepWeight must be an integer, got number 1.5"),
        ("stepWeight: [1]", "analysis.stepWeight must be an integer, got a list"),
        ("stepWeight: 10\nmirror: maybe", "analysis.mirror must be true or false, got string \"maybe\""),
        ("stepWeight: 10\ninterval: 60", "analysis.interval must be a string (quote it), got integer 60"),
        ("stepWeight: 10\nmetrics: { name: x }", "analysis.metrics must be a list, got a mapping"),
    ])
    func checksTypes(_ analysis: String, _ expected: String) {
        let messages = validate(canaryYAML(analysis: analysis)).errors.map(\.message)
        #expect(messages.contains(expected), "\(messages)")
    }

    @Test func unquotedNumberInEnvValueIsAnError() {
        let yaml = workloadYAML.replacingOccurrences(of: "value: \"0\"", with: "value: 0")
        #expect(validate(yaml).errors.map(\.message) == ["template.env[0].value must be a string (quote it), got integer 0"])
    }

    @Test func yamlSyntaxErrorsHavePositions() {
        let diagnostics = validate("apiVersion: v1\nkind: \"Service\nmetadata: {}\n", file: "bad.yaml")
        #expect(diagnostics.errors.count == 1)
        #expect(diagnostics.errors[0].description.hasPrefix("bad.yaml:"))
        #expect(diagnostics.errors[0].position.line != nil)
    }

    @Test func duplicateKeysAreErrors() {
        let diagnostics = validate("apiVersion: v1\nkind: Service\nkind: Service\nmetadata: { name: a }\n")
        #expect(diagnostics.errors.map(\.message) == ["duplicate key \"kind\" in a mapping"])
    }

    @Test func readsMultipleDocumentsAndSkipsEmptyOnes() {
        let yaml = "---\n# nothing here\n---\n\(workloadYAML)\n---\napiVersion: v1\nkind: Service\nmetadata: { name: web }\n---\n"
        let manifests = ManifestLoader().load(text: yaml, file: "all.yaml")
        #expect(manifests.workloads.count == 1)
        #expect(manifests.plain.count == 1)
        #expect(manifests.diagnostics.isEmpty)
    }

    @Test func plainManifestsNeedApiVersionKindAndName() {
        #expect(errors("kind: Service\nmetadata: { name: a }\n") == ["test.yaml:1:1: apiVersion is required"])
        #expect(errors("apiVersion: v1\nmetadata: { name: a }\n") == ["test.yaml:1:1: kind is required"])
        #expect(errors("apiVersion: v1\nkind: Service\nmetadata: {}\n") == ["test.yaml:1:1: metadata.name is required"])
        #expect(errors("- a\n- b\n") == ["test.yaml:1:1: a manifest must be a mapping with apiVersion, kind and metadata, got a list"])
    }

    @Test func misspeltKindsAndGroupsGetSuggestions() {
        #expect(validate("apiVersion: serin.dev/v1alpha1\nkind: Canry\nmetadata: { name: a }\n").errors.map(\.message)
                == ["kind Canry is not a serin.dev/v1alpha1 kind (Workload, Canary, MetricTemplate, AlertProvider, Strategy); did you mean \"Canary\"?"])
        #expect(validate("apiVersion: flager.app/v1beta1\nkind: Canary\nmetadata: { name: a }\n").errors.map(\.message)
                == ["apiVersion flager.app/v1beta1 is unknown; did you mean \"flagger.app/v1beta1\"?"])
    }

    @Test func yamlMergeKeysAndAnchorsWork() {
        let yaml = """
        apiVersion: serin.dev/v1alpha1
        kind: Strategy
        metadata: { name: merged }
        spec:
          analysis:
            <<: &defaults { interval: 30s, threshold: 2 }
            stepWeight: 25
        """
        let manifests = ManifestLoader().load(text: yaml, file: "s.yaml")
        #expect(Validator().validate(manifests).isEmpty)
        #expect(manifests.strategies.first?.spec.analysis?.interval == "30s")
        #expect(manifests.strategies.first?.spec.analysis?.stepWeight == 25)
    }

    @Test func aliasExpansionBombIsRefused() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        let full = "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: bomb }\ndata:\n" + yaml.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let messages = validate(full).errors.map(\.message)
        #expect(messages.contains { $0.contains("expands aliases too far") }, "\(messages)")
    }

    @Test func deepNestingIsRefusedBeforeParsing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let messages = validate("a: " + deep).errors.map(\.message)
        #expect(messages == ["YAML is nested more than 400 levels deep"])
        let dashes = "a:\n" + String(repeating: "- ", count: 50_000) + "x\n"
        #expect(validate(dashes).errors.map(\.message) == ["YAML is nested more than 400 levels deep"])
    }

    @Test func foldersAreReadRecursivelyInNameOrder() throws {
        let directory = try TemporaryDirectoryForSpec()
        defer { directory.remove() }
        try directory.write("b/web.yaml", workloadYAML)
        try directory.write("a/svc.yml", "apiVersion: v1\nkind: Service\nmetadata: { name: web }\n")
        try directory.write(".git/ignored.yaml", "not: [valid")
        try directory.write("notes.txt", "not yaml")
        try directory.write("kustomization.yaml", "resources: [a/svc.yml]")
        let manifests = ManifestLoader().load(paths: [directory.path])
        #expect(manifests.files.map { String($0.dropFirst(directory.path.count + 1)) } == ["a/svc.yml", "b/web.yaml"])
        #expect(manifests.diagnostics.isEmpty)
    }

    @Test func unreadableInputIsReported() {
        let missing = ManifestLoader().load(paths: ["/nonexistent/serin"])
        #expect(missing.diagnostics.map(\.description) == ["/nonexistent/serin: no such file or directory"])
        let binary = ManifestLoader().load(data: .init([0xff, 0xfe, 0x00, 0x41]), file: "x.yaml")
        #expect(binary.diagnostics.map(\.description) == ["x.yaml: file is not UTF-8 text"])
    }
}

import SerinTesting
typealias TemporaryDirectoryForSpec = TemporaryDirectory
