import Yams

/// Turns libyaml's errors into one-line diagnostics that point where the
/// mistake was made, not only where the parser gave up: an unclosed quote at
/// its opening quote, a duplicate key at its repetition, a tab named as such.
struct YAMLErrorExplainer {
    let text: String
    let file: String

    func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if let quote = unclosedQuote(before: mark.line) {
                return .error(at: quote, "invalid YAML: the quoted string that starts here is never closed", kind: .unreadable)
            }
            if problem.hasPrefix("found character that cannot start any token"), character(at: mark) == "\t" {
                return .error(at: at(mark), "invalid YAML: a tab cannot indent YAML; indent with spaces", kind: .unreadable)
            }
            let during = context.map { " (\($0.text))" } ?? ""
            return .error(at: at(mark), "invalid YAML: \(problem)\(during)", kind: .unreadable)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            let position = duplicates.first.flatMap { repetition(of: $0, after: context.mark) } ?? at(context.mark)
            return .error(at: position, "duplicate key \(names) in a mapping", kind: .unreadable)
        case .reader(let problem, _, _, _):
            return .error(at: SourcePosition(file: file), "invalid YAML: \(problem)", kind: .unreadable)
        default:
            return .error(at: SourcePosition(file: file), "invalid YAML: \(error)", kind: .unreadable)
        }
    }

    private func at(_ mark: Mark) -> SourcePosition {
        SourcePosition(file: file, line: mark.line, column: mark.column)
    }

    private var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

    private func character(at mark: Mark) -> Character? {
        let lines = self.lines
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = lines[mark.line - 1]
        guard mark.column >= 1, mark.column <= line.count else { return nil }
        return line[line.index(line.startIndex, offsetBy: mark.column - 1)]
    }

    /// The first line up to `line` whose quotes do not balance: where a
    /// quoted scalar was opened and never closed on its line. Manifests
    /// rarely continue a quoted string over several lines, and when one
    /// fails to parse, an unbalanced quote is by far the likeliest cause.
    private func unclosedQuote(before line: Int) -> SourcePosition? {
        for (index, text) in lines.prefix(line).enumerated() {
            if let column = Self.unclosedQuoteColumn(in: text) {
                return SourcePosition(file: file, line: index + 1, column: column)
            }
        }
        return nil
    }

    static func unclosedQuoteColumn(in line: Substring) -> Int? {
        var open: (quote: Character, column: Int)?
        var previous: Character = " "
        var column = 0
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            column += 1
            if let current = open {
                if current.quote == "\"" && character == "\\" {
                    _ = iterator.next()
                    column += 1
                } else if character == current.quote {
                    open = nil
                }
            } else if character == "#" && (previous == " " || column == 1) {
                return nil
            } else if (character == "\"" || character == "'") && " :[{,-".contains(previous) {
                open = (character, column)
            }
            previous = character
        }
        return open?.column
    }

    /// Where the key repeats: the next line at the same column that holds it.
    private func repetition(of key: String, after mark: Mark) -> SourcePosition? {
        let lines = self.lines
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        for index in mark.line..<lines.count {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            guard indent + 1 == mark.column else { continue }
            let rest = line.dropFirst(indent)
            if rest.hasPrefix("\(key):") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                return SourcePosition(file: file, line: index + 1, column: mark.column)
            }
        }
        return nil
    }
}
