import Foundation
import SerinTesting
import Testing

/// The README's "Five minutes with Serin", read from README.md and run as a
/// script: the commands between `<!-- walkthrough -->` and
/// `<!-- /walkthrough -->` (the lines of its ```sh blocks), each one's
/// output compared with the ```text block the README shows after it (none:
/// it prints nothing).
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
        let readme = try String(contentsOfFile: Products.repositoryRoot + "/README.md", encoding: .utf8)
        let directory = try TemporaryDirectory(prefix: "serin-walkthrough")
        let root = directory.path
        let ports = (service: try Loopback.freePort(), prometheus: try Loopback.freePort(),
                     admin: try Loopback.freePort(), api: try Loopback.freePort())
        let substitutions = [
            ("/tmp/serin", root + "/serin"), ("127.0.0.1:8080", "127.0.0.1:\(ports.service)"),
            ("127.0.0.1:9090", "127.0.0.1:\(ports.prometheus)"), ("127.0.0.1:9901", "127.0.0.1:\(ports.admin)"),
            ("127.0.0.1:9797", "127.0.0.1:\(ports.api)"),
        ]
        var text = try Walkthrough.section(of: readme)
        for (old, new) in substitutions { text = text.replacingOccurrences(of: old, with: new) }
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
        try Walkthrough.script(steps, outputs: outputs).write(toFile: script, atomically: true, encoding: .utf8)

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
        var failures = 0
        for (index, step) in steps.enumerated() {
            let output = (try? String(contentsOfFile: "\(outputs)/\(index + 1)", encoding: .utf8)) ?? "(never ran)"
            let matched = Walkthrough.matches(step.expected, Walkthrough.lines(output))
            if !matched { failures += 1 }
            #expect(matched, """
            step \(index + 1): $ \(step.command)
            the README shows:
            \(step.expected.joined(separator: "\n"))
            it printed:
            \(output)
            """)
        }
        if failures > 0 || run.status != 0 {
            Issue.record("files kept in \(root); operator log:\n\(operatorLog.suffix(3000))\nserin down: \(down.stdout)\(down.stderr)")
        } else {
            directory.remove()
        }
    }
}

/// Reading the walkthrough out of the README and comparing outputs.
enum Walkthrough {
    struct Step: Equatable {
        var command: String
        var expected: [String]
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static let start = "<!-- walkthrough -->", end = "<!-- /walkthrough -->"
    /// In the README's outputs: any text within a line; alone on a line, any number of lines.
    static let anything = "…"

    static func section(of readme: String) throws -> String {
        guard let from = readme.range(of: start), let to = readme.range(of: end, range: from.upperBound..<readme.endIndex) else {
            throw Missing(description: "README.md has no \(start) … \(end) section")
        }
        return String(readme[from.upperBound..<to.lowerBound])
    }

    /// The commands of the section's ```sh blocks, one a line (blank
    /// lines and comments skipped), going on over lines ending in `\` and
    /// through a here-document (`<<'WORD'` up to the line `WORD`); a ```text
    /// block shows the output of the last command before it.
    static func steps(in section: String) -> [Step] {
        var steps: [Step] = []
        var block: String?
        var lines = section.components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            if line.hasPrefix("```") {
                block = block == nil ? String(line.dropFirst(3)) : nil
                continue
            }
            switch block {
            case "sh"?:
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
                var command = line
                var last = command
                while last.hasSuffix("\\"), let next = lines.popFirst() {
                    command += "\n" + next
                    last = next
                }
                if let word = hereDocument(command) {
                    while let next = lines.popFirst() {
                        command += "\n" + next
                        if next == word { break }
                    }
                }
                steps.append(Step(command: command, expected: []))
            case "text"? where !steps.isEmpty:
                steps[steps.count - 1].expected.append(line)
            default:
                continue
            }
        }
        return steps
    }

    /// The word ending a here-document the command starts, if it does.
    static func hereDocument(_ command: String) -> String? {
        guard let range = command.range(of: "<<") else { return nil }
        let word = command[range.upperBound...].prefix { !$0.isWhitespace && $0 != ";" && $0 != "&" && $0 != "|" }
        let unquoted = word.trimmingCharacters(in: CharacterSet(charactersIn: "'\"-"))
        return unquoted.isEmpty ? nil : unquoted
    }

    /// One shell runs every command in turn (so `cd`, variables and
    /// background jobs carry over, as in a terminal); each command's output,
    /// standard error included, goes to `outputs/N`.
    static func script(_ steps: [Step], outputs: String) -> String {
        var script = "# Generated from README.md by ReadmeWalkthroughTests.\n"
        for (index, step) in steps.enumerated() {
            script += "{ \(step.command)\n} > '\(outputs)/\(index + 1)' 2>&1\n"
        }
        return script
    }

    static func lines(_ output: String) -> [String] {
        var lines = output.components(separatedBy: "\n")
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whether `actual` is what `expected` shows: line by line, runs of
    /// spaces counting as one (table columns are as wide as their
    /// contents), `…` standing for any text or, alone, any lines.
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        let expected = lines(expected.joined(separator: "\n")), actual = lines(actual.joined(separator: "\n"))
        func match(_ e: Int, _ a: Int) -> Bool {
            if e == expected.count { return a == actual.count }
            if expected[e].trimmingCharacters(in: .whitespaces) == anything {
                return (a...actual.count).contains { match(e + 1, $0) }
            }
            return a < actual.count && lineMatches(expected[e], actual[a]) && match(e + 1, a + 1)
        }
        return match(0, 0)
    }

    static func lineMatches(_ expected: String, _ actual: String) -> Bool {
        let pattern = normalized(expected).components(separatedBy: anything).map(NSRegularExpression.escapedPattern(for:)).joined(separator: ".*")
        guard let regex = try? NSRegularExpression(pattern: "^" + pattern + "$") else { return false }
        let text = normalized(actual)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func normalized(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    static func replace(in path: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw Missing(description: "\(path) has no \"\(old)\"") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
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
