import Foundation
import SerinTesting
import Testing

/// The local quickstart, read from docs/quickstart-local.md and run as a
/// script: the commands between `<!-- walkthrough -->` and
/// `<!-- /walkthrough -->` (the lines of its ```sh blocks), each one's
/// output compared with the ```text block the guide shows after it (none:
/// it prints nothing). The README's "Five minutes with Serin" is the same
/// tour: its steps must be the guide's, so running one runs both.
///
/// What differs from pasting it by hand: the test's own folder instead of
/// `/tmp/serin`, free ports instead of 8080, 9090, 9901 and 9797 (with
/// `SERIN_API` pointing the commands at the API's), and the quickstart's
/// request-duration bound raised from 250 ms to 2 s (a test machine shared
/// with other builds answers slowly; the 20% errors are what must fail).
extension EndToEndTests {
    @Test(.timeLimit(.minutes(12)), .enabled(if: PrometheusServer.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                                            "needs /usr/bin/prometheus and curl"))
    func theReadmeWalkthroughWorksAsWritten() async throws {
        let guide = try String(contentsOfFile: Products.repositoryRoot + "/docs/quickstart-local.md", encoding: .utf8)
        let directory = try TemporaryDirectory(prefix: "serin-walkthrough")
        let root = directory.path
        let ports = (service: try Loopback.freePort(), prometheus: try Loopback.freePort(),
                     admin: try Loopback.freePort(), api: try Loopback.freePort())
        let substitutions = [
            ("/tmp/serin", root + "/serin"), ("127.0.0.1:8080", "127.0.0.1:\(ports.service)"),
            ("127.0.0.1:9090", "127.0.0.1:\(ports.prometheus)"), ("127.0.0.1:9901", "127.0.0.1:\(ports.admin)"),
            ("127.0.0.1:9797", "127.0.0.1:\(ports.api)"),
        ]
        var text = try Walkthrough.section(of: guide)
        for (old, new) in substitutions { text = text.replacingOccurrences(of: old, with: new) }
        // The build machine runs the tests as root: the quickstart's workload has no runAs user.
        if geteuid() == 0 {
            text = text.replacingOccurrences(of: "platform: local\n", with: "platform: local\nlocal: { allowRootWorkloads: true }\n")
        }
        let steps = Walkthrough.steps(in: text)
        #expect(steps.count >= 15, "the walkthrough lost its commands: \(steps.map(\.command))")

        // The checkout the README's commands run from: the quickstart with
        // the service on its free port.
        let checkout = root + "/checkout"
        try FileManager.default.createDirectory(atPath: checkout + "/examples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Products.repositoryRoot + "/examples/quickstart", toPath: checkout + "/examples/quickstart")
        try Walkthrough.replace(in: checkout + "/examples/quickstart/deploy/workload.yaml", "port: 8080", "port: \(ports.service)")
        try Walkthrough.replace(in: checkout + "/examples/quickstart/deploy/alert-provider.yaml", "127.0.0.1:8080", "127.0.0.1:\(ports.service)")
        try Walkthrough.replace(in: checkout + "/examples/quickstart/deploy/canary.yaml", "thresholdRange: { max: 250 }", "thresholdRange: { max: 2000 }")

        let outputs = root + "/outputs"
        try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
        let script = root + "/walkthrough.sh"
        try Walkthrough.script(steps, outputs: outputs, from: "docs/quickstart-local.md").write(toFile: script, atomically: true, encoding: .utf8)

        let bin = (Products.executable("serin") as NSString).deletingLastPathComponent
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let started = ContinuousClock.now
        // On a thread of its own: the script takes a couple of minutes. The
        // `timeout` ends it and everything it started in its process group
        // (the load, the operator) if it hangs.
        let run = try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try CommandRun.run("/usr/bin/env", ["-u", "GIT_DIR", "-u", "GIT_WORK_TREE", "PATH=\(path)",
                                                        "SERIN_API=http://127.0.0.1:\(ports.api)",
                                                        "/usr/bin/timeout", "570", "/bin/bash", script],
                                       in: checkout, timeout: .seconds(600))
                })
            }.start()
        }
        let elapsed = ContinuousClock.now - started
        // Whatever happened, nothing it started keeps running.
        let down = try CommandRun.run(Products.executable("serin"), ["down", "--force", "--config", root + "/serin/serin.yaml"],
                                      timeout: .seconds(60))
        let operatorLog = (try? String(contentsOfFile: root + "/serin/operator.log", encoding: .utf8)) ?? ""

        #expect(run.status == 0, "the script ended with \(run.status) after \(elapsed): \(run.stderr)\noperator log:\n\(operatorLog.suffix(3000))")
        // The quickstart's AlertProvider posts to the app (its POST /alerts), not to a port where nothing listens.
        #expect(!operatorLog.contains("alert not delivered"), "\(operatorLog.suffix(3000))")
        let mismatches = Walkthrough.mismatches(steps, outputs: outputs, document: "docs/quickstart-local.md")
        for mismatch in mismatches { Issue.record("\(mismatch)") }
        if !mismatches.isEmpty || run.status != 0 {
            Issue.record("files kept in \(root); operator log:\n\(operatorLog.suffix(3000))\nserin down: \(down.stdout)\(down.stderr)")
        } else {
            directory.remove()
        }
    }
}

/// The walkthrough's reading and matching, without running anything.
@Suite struct WalkthroughReadingTests {
    @Test func commandsHereDocumentsAndOutputsAreSeparated() throws {
        let section = try Walkthrough.section(of: """
        intro
        <!-- walkthrough -->
        ```sh
        cat > f <<'YAML'
        a: 1
        YAML

        # a comment
        echo one \\
            two
        ```
        ```text
        one two
        ```
        text between
        ```console
        $ not a step
        ```
        ```sh
        true
        ```
        <!-- /walkthrough -->
        ```sh
        after
        ```
        """)
        let steps = Walkthrough.steps(in: section)
        #expect(steps == [
            .init(command: "cat > f <<'YAML'\na: 1\nYAML", expected: []),
            .init(command: "echo one \\\n    two", expected: ["one two"]),
            .init(command: "true", expected: []),
        ])
    }

    @Test func anEllipsisStandsForTextOrLines() {
        #expect(Walkthrough.matches(["hello from primary …"], ["hello from primary 1a2b3c4d5e6f"]))
        #expect(!Walkthrough.matches(["hello from primary …"], ["hello again from primary 1a2b3c4d5e6f"]))
        #expect(Walkthrough.matches(["web: …", "…", "phase … → Succeeded…", "…"],
                                    ["web: Progressing, step 1/7", "12:00:01  Progressing  weight 20", "phase Promoting → Succeeded", "step 7/7 → 7/7"]))
        #expect(!Walkthrough.matches(["web: …", "…", "phase … → Succeeded…"], ["web: Progressing", "phase Progressing → Failed"]))
        #expect(Walkthrough.matches(["… … Ada Lovelace succeeded … …"], ["3c1f0e5a  1a2b3c4  Ada Lovelace   succeeded  2026-12-05 22:30:01  41s"]))
        #expect(Walkthrough.matches([], ["", "  "]))
        #expect(!Walkthrough.matches([], ["something"]))
    }

    /// The README's tour is the local quickstart's walkthrough, step for
    /// step (commands and outputs): the quickstart's test runs both.
    @Test func theReadmeTourIsTheQuickstartWalkthrough() throws {
        let root = Products.repositoryRoot
        let readme = try Walkthrough.steps(in: Walkthrough.section(of: String(contentsOfFile: root + "/README.md", encoding: .utf8)))
        let guide = try Walkthrough.steps(in: Walkthrough.section(of: String(contentsOfFile: root + "/docs/quickstart-local.md", encoding: .utf8)))
        #expect(guide.count >= 15)
        #expect(readme.map(\.command) == guide.map(\.command))
        #expect(readme.map { Walkthrough.lines($0.expected.joined(separator: "\n")) } == guide.map { Walkthrough.lines($0.expected.joined(separator: "\n")) })
    }

    /// Every relative link of README.md and docs/ (`[text](path)` or
    /// `[text](path#anchor)`) leads to a file of the repository, and an
    /// anchor into a Markdown file to one of its headings.
    @Test func everyLinkOfTheDocumentsLeadsSomewhere() throws {
        let root = Products.repositoryRoot
        let documents = ["README.md"] + (try FileManager.default.contentsOfDirectory(atPath: root + "/docs"))
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        let link = try NSRegularExpression(pattern: #"\]\(([^)\s]+)\)"#)
        for document in documents {
            let text = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
            let folder = (document as NSString).deletingLastPathComponent
            for match in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range(at: 1), in: text) else { continue }
                let target = String(text[range])
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let file = parts[0].isEmpty ? document : ((folder.isEmpty ? parts[0] : folder + "/" + parts[0]) as NSString).standardizingPath
                #expect(FileManager.default.fileExists(atPath: root + "/" + file), "\(document): the link \(target) leads to no file")
                guard parts.count == 2, file.hasSuffix(".md"), let linked = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else { continue }
                let anchors = linked.components(separatedBy: "\n").filter { $0.hasPrefix("#") }.map(Self.anchor)
                #expect(anchors.contains(parts[1]), "\(document): the link \(target) names no heading of \(file)")
            }
        }
    }

    /// GitHub's anchor of a heading: lower-cased, punctuation but `-` and
    /// `_` dropped, spaces as `-`.
    static func anchor(_ heading: String) -> String {
        let title = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(title.compactMap { character -> Character? in
            if character == " " { return "-" }
            return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
        })
    }

    /// The documents are read by people who cloned the repository: nothing
    /// in them may point at files that only exist where they were written.
    @Test func theDocumentsNameNoFileOutsideTheRepository() throws {
        let root = Products.repositoryRoot
        let enumerator = FileManager.default.enumerator(atPath: root)
        var documents: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasPrefix(".") || path.contains("/.") { enumerator?.skipDescendants(); continue }
            if path.hasSuffix(".md") { documents.append(path) }
        }
        #expect(documents.contains("README.md"))
        for document in documents {
            let text = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
            for outside in ["../shared", "/work/", "DESIGN.md", "STYLE.md"] {
                #expect(!text.contains(outside), "\(document) mentions \(outside)")
            }
        }
    }
}
