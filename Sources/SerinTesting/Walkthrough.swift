import Foundation

/// A document's commands, read between two markers and run as a script, as
/// a newcomer would paste them: the lines of its ```sh blocks, each one's
/// output compared with the ```text block the document shows after it
/// (none: it prints nothing). The local quickstart (`docs/quickstart-local.md`,
/// whose tour the README repeats) and the Kubernetes quickstart
/// (`docs/quickstart-kubernetes.md`) are run this way by their tests.
public enum Walkthrough {
    public struct Step: Equatable, Sendable {
        public var command: String
        public var expected: [String]

        public init(command: String, expected: [String]) {
            self.command = command
            self.expected = expected
        }
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The local quickstart's markers; other guides name their own.
    public static let start = "<!-- walkthrough -->", end = "<!-- /walkthrough -->"
    /// In a document's outputs: any text within a line; alone on a line, any number of lines.
    public static let anything = "…"

    public static func section(of document: String, start: String = Walkthrough.start, end: String = Walkthrough.end) throws -> String {
        guard let from = document.range(of: start), let to = document.range(of: end, range: from.upperBound..<document.endIndex) else {
            throw Missing(description: "the document has no \(start) … \(end) section")
        }
        return String(document[from.upperBound..<to.lowerBound])
    }

    /// The commands of the section's ```sh blocks, one a line (blank
    /// lines and comments skipped), going on over lines ending in `\` and
    /// through a here-document (`<<'WORD'` up to the line `WORD`); a ```text
    /// block shows the output of the last command before it.
    public static func steps(in section: String) -> [Step] {
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
    public static func hereDocument(_ command: String) -> String? {
        guard let range = command.range(of: "<<") else { return nil }
        let word = command[range.upperBound...].prefix { !$0.isWhitespace && $0 != ";" && $0 != "&" && $0 != "|" }
        let unquoted = word.trimmingCharacters(in: CharacterSet(charactersIn: "'\"-"))
        return unquoted.isEmpty ? nil : unquoted
    }

    /// One shell runs every command in turn (so `cd`, variables and
    /// background jobs carry over, as in a terminal); each command's output,
    /// standard error included, goes to `outputs/N`.
    public static func script(_ steps: [Step], outputs: String, from document: String = "README.md") -> String {
        var script = "# Generated from \(document) by its walkthrough test.\n"
        for (index, step) in steps.enumerated() {
            script += "{ \(step.command)\n} > '\(outputs)/\(index + 1)' 2>&1\n"
        }
        return script
    }

    public static func lines(_ output: String) -> [String] {
        var lines = output.components(separatedBy: "\n")
        while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whether `actual` is what `expected` shows: line by line, runs of
    /// spaces counting as one (table columns are as wide as their
    /// contents), `…` standing for any text or, alone, any lines.
    public static func matches(_ expected: [String], _ actual: [String]) -> Bool {
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

    public static func lineMatches(_ expected: String, _ actual: String) -> Bool {
        let pattern = normalized(expected).components(separatedBy: anything).map(NSRegularExpression.escapedPattern(for:)).joined(separator: ".*")
        guard let regex = try? NSRegularExpression(pattern: "^" + pattern + "$") else { return false }
        let text = normalized(actual)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    public static func normalized(_ line: String) -> String {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Replaces `old` by `new` in a file, failing when `old` is not there
    /// (a document and its test must not drift apart silently).
    public static func replace(in path: String, _ old: String, _ new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw Missing(description: "\(path) has no \"\(old)\"") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Each step's output against what the document shows; a message per
    /// step that differs (empty: every step printed what it shows).
    public static func mismatches(_ steps: [Step], outputs: String, document: String) -> [String] {
        var found: [String] = []
        for (index, step) in steps.enumerated() {
            let output = (try? String(contentsOfFile: "\(outputs)/\(index + 1)", encoding: .utf8)) ?? "(never ran)"
            guard !matches(step.expected, lines(output)) else { continue }
            found.append("""
            step \(index + 1): $ \(step.command)
            \(document) shows:
            \(step.expected.joined(separator: "\n"))
            it printed:
            \(output)
            """)
        }
        return found
    }
}
