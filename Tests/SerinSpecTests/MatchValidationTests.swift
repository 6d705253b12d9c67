import Testing
@testable import SerinSpec

/// A/B `match`: what the local router honours passes, what it cannot see is
/// refused with the field's position, on the local platform only.
@Suite struct MatchValidationTests {
    /// An A/B Canary on the `web` Workload whose `match` list is `entries`
    /// (YAML flow items, one per line); its first entry is on line 25.
    func abCanary(_ entries: [String], kind: String = "Workload") -> String {
        canaryYAML(analysis: "interval: 1m\niterations: 5\nmatch:\n" + entries.map { "  - " + $0 }.joined(separator: "\n"))
            .replacingOccurrences(of: "kind: Workload, name: web", with: "kind: \(kind), name: web")
    }

    @Test func everyConditionTheRouterMatchesIsAccepted() {
        let yaml = abCanary([
            #"{ uri: { prefix: /api }, ignoreUriCase: true, method: { exact: GET }, authority: { regex: "beta\\..*" }, scheme: { exact: http } }"#,
            #"{ headers: { x-canary: { exact: insider } }, withoutHeaders: { user-agent: { regex: ".*bot.*" } } }"#,
            #"{ headers: { cookie: { regex: "^(.*?;)?(canary=always)(;.*)?$" } } }"#,
            #"{ queryParams: { "user group": { exact: "beta testers" }, v: { suffix: "-rc" } } }"#,
        ])
        #expect(validate(yaml).filter(\.isError).isEmpty)
        #expect(validate(yaml).warnings.isEmpty)
    }

    @Test(arguments: [
        ("{ sourceLabels: { app: frontend } }", "sourceLabels"),
        ("{ sourceNamespace: shop, headers: { x-a: { exact: \"1\" } } }", "sourceNamespace"),
        ("{ gateways: [mesh] }", "gateways"),
        ("{ port: 8080 }", "port"),
    ])
    func meshConditionsAreRefusedOnTheLocalPlatform(entry: String, field: String) {
        let found = errors(abCanary([entry]))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("test.yaml:25:") == true, "\(found)")
        #expect(found.first?.hasSuffix("analysis.match[0].\(field) is a mesh condition the local router cannot check; "
                                       + "remove it, or release on the kubernetes platform") == true, "\(found)")
        // Kubernetes routers see the mesh; a Deployment's Canary runs there.
        #expect(validate(abCanary([entry]), platform: .kubernetes).filter(\.isError).isEmpty)
        #expect(!errors(abCanary([entry], kind: "Deployment")).contains { $0.contains("mesh condition") })
    }

    @Test func aHeaderNameTheRouterCannotMatchIsRefused() {
        #expect(errors(abCanary([#"{ withoutHeaders: { "x canary": { exact: "1" } } }"#])).contains {
            $0.hasPrefix("test.yaml:25:") && $0.hasSuffix(#"analysis.match[0].withoutHeaders.x canary "x canary" is not a header name the router can match"#)
        })
    }

    @Test func aRegexIsCheckedAsTheRouterCompilesIt() {
        #expect(errors(abCanary([#"{ uri: { regex: "/a)|(/b" } }"#])).contains {
            $0.hasSuffix(#"analysis.match[0].uri.regex is not a valid regular expression: "/a)|(/b""#)
        })
        #expect(errors(abCanary([#"{ headers: { x-version: { regex: "v1" } } }"#])).isEmpty)
    }

    @Test func ignoreUriCaseWithARegexIsWarnedAbout() {
        let warnings = validate(abCanary([#"{ uri: { regex: "/beta/.*" }, ignoreUriCase: true }"#])).warnings.map(\.message)
        #expect(warnings == ["analysis.match[0].ignoreUriCase does not apply to uri.regex (as in Istio); start the regex with (?i) to ignore case"])
    }

    @Test func matchStepsAreCheckedLikeAnalysisMatch() {
        let yaml = canaryYAML(analysis: """
        interval: 1m
        steps:
          - match: [{ sourceLabels: { app: frontend } }]
          - analyze: 3
        """)
        #expect(errors(yaml).contains { $0.hasSuffix("analysis.steps[0].match[0].sourceLabels is a mesh condition the local router cannot check; "
                                                     + "remove it, or release on the kubernetes platform") })
    }
}
