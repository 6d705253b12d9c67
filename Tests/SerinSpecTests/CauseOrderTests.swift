import Testing
@testable import SerinSpec

/// The first error of a refused commit is what a source's condition shows
/// ("… (and 1 more)"): it must be the cause, not a side effect of it.
@Suite struct CauseOrderTests {
    static let canary = """
    apiVersion: serin.dev/v1alpha1
    kind: Canary
    metadata: { name: web }
    spec:
      targetRef: { apiVersion: serin.dev/v1alpha1, kind: Workload, name: web }
      analysis: { interval: 5s, threshold: 2, maxWeight: 50, stepWeight: 25 }
    """

    /// The newcomer's case: a quote never closed in the Workload's file made the
    /// Canary's targetRef name nothing; sorted by file name the reference came first.
    @Test func anUnreadableFileComesBeforeTheReferencesItBroke() {
        var manifests = ManifestLoader().load(text: Self.canary, file: "deploy/canary.yaml")
        let workload = workloadYAML.replacingOccurrences(of: "workingDir: app", with: "workingDir: \"app")
        manifests.append(contentsOf: ManifestLoader().load(text: workload, file: "deploy/workload.yaml"))
        let errors = Validator().validate(manifests).errors
        #expect(errors.count == 2)
        #expect(errors.first?.message.hasPrefix("invalid YAML") == true)
        #expect(errors.first?.position.file == "deploy/workload.yaml")
        #expect(errors.first?.isConsequence == false)
        let reference = errors.last
        #expect(reference?.message.contains("names Workload \"web\"") == true)
        #expect(reference?.consequence == errors.first?.position)
        #expect(reference?.description.hasSuffix("(may follow from \(errors[0].position))") == true)
    }

    /// A misspelt `spec:`: "did you mean" is the headline, "spec is required" follows from it.
    @Test func aTypoComesBeforeTheRequiredFieldItHid() {
        let text = Self.canary.replacingOccurrences(of: "spec:", with: "spce:")
        let errors = Validator().validate(ManifestLoader().load(text: workloadYAML + "\n---\n" + text, file: "deploy/all.yaml")).errors
        #expect(errors.first?.message == "spce is not a known field; did you mean \"spec\"?")
        let required = errors.first { $0.message == "spec is required" }
        #expect(required?.consequence == errors.first?.position)
        #expect(errors.last == required)
    }

    /// Without an unreadable file a missing reference is a cause of its own, and a
    /// reference with a near miss ("did you mean") is never a consequence.
    @Test func referencesAreCausesWhenNothingWasLost() {
        let errors = Validator().validate(ManifestLoader().load(text: Self.canary, file: "deploy/canary.yaml")).errors
        #expect(errors.count == 1)
        #expect(errors.first?.isConsequence == false)
        let misspelt = Self.canary.replacingOccurrences(of: "name: web }\n  analysis", with: "name: wbe }\n  analysis")
        var manifests = ManifestLoader().load(text: workloadYAML + "\n---\n" + misspelt, file: "deploy/all.yaml")
        manifests.append(contentsOf: ManifestLoader().load(text: "a: [", file: "deploy/broken.yaml"))
        let both = Validator().validate(manifests).errors
        #expect(both.map(\.isConsequence) == [false, false])
        #expect(both.first?.position.file == "deploy/broken.yaml")
    }
}
