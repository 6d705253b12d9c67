import Testing
@testable import SerinSpec

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("1m30s", .seconds(90)), ("1.5h", .seconds(5400)), ("300ms", .milliseconds(300)),
        ("2h45m", .seconds(9900)), ("0", .zero), ("10us", .microseconds(10)), ("1µs", .microseconds(1)), (".5s", .milliseconds(500)),
        ("-1m", .seconds(-60)),
    ])
    func parsesGoSyntax(_ text: String, _ expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "10", "10 s", "1d", "s", "1.2.3s", "m1", "1m 30s", "+", "1e3s", "9999999999h"])
    func rejectsEverythingElse(_ text: String) {
        #expect(GoDuration.parse(text) == nil)
    }

    @Test(arguments: [(Duration.seconds(90), "1m30s"), (.milliseconds(500), "500ms"), (.seconds(3600), "1h"), (.zero, "0s"), (.seconds(3661), "1h1m1s")])
    func formatsTheShortestForm(_ duration: Duration, _ text: String) {
        #expect(GoDuration.format(duration) == text)
    }
}

@Suite struct BuiltinStrategyTests {
    @Test func theFiveStrategiesAreBuiltIn() {
        #expect(BuiltinStrategies.names.sorted() == ["ab-testing", "blue-green", "canary", "canary-exponential", "mirror-then-canary"])
    }

    /// The embedded copies are the files in strategies/.
    @Test func embeddedStrategiesMatchTheFolder() throws {
        let folder = Fixtures.root + "/../../../strategies"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        // A new file in strategies/ must be named in Package.swift and BuiltinStrategyFiles too.
        #expect(files.map { "strategies/" + $0 } == BuiltinStrategies.sources.map(\.file).sorted())
        for (file, text) in BuiltinStrategies.sources {
            let onDisk = try String(contentsOfFile: "\(folder)/\((file as NSString).lastPathComponent)", encoding: .utf8)
            #expect(onDisk == text, "\(file)")
        }
    }

    @Test(arguments: BuiltinStrategies.all.map(\.name))
    func eachStrategyValidatesAndPlans(_ name: String) throws {
        let strategy = try #require(BuiltinStrategies.all.first { $0.name == name })
        let manifests = ManifestLoader().load(text: BuiltinStrategies.sources.first { $0.file.hasSuffix("/\(name).yaml") }!.text, file: "\(name).yaml")
        #expect(Validator().validate(manifests).errors.isEmpty)
        let match = strategy.spec.type == .abTesting ? "\nmatch: [{ headers: { x-canary: { exact: \"1\" } } }]" : ""
        let yaml = strategyCanaryYAML(name, analysis: "interval: 1m" + match)
        let (found, diagnostics) = plans(yaml)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics)")
        let plan = try #require(found.first)
        #expect(plan.strategy == strategy.spec.type)
        #expect(plan.peakWeight <= 100)
    }
}

import Foundation
