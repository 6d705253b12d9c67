import Foundation
import SerinTemplate

/// Go's `regexp` (RE2 syntax) for Sprig's regex functions, on Foundation's
/// ICU engine: the syntax charts use (classes, groups, anchors, `(?i)`)
/// reads the same in both.
struct GoRegex {
    let expression: NSRegularExpression

    init(_ pattern: String) throws {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw FunctionError("error parsing regexp: invalid regular expression: `\(pattern)`")
        }
    }

    func range(_ text: String) -> NSRange { NSRange(text.startIndex..., in: text) }

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: range(text)) != nil
    }

    func find(_ text: String) -> String {
        guard let match = expression.firstMatch(in: text, range: range(text)), let found = Range(match.range, in: text) else { return "" }
        return String(text[found])
    }

    func findAll(_ text: String, limit: Int) -> [String] {
        var out: [String] = []
        for match in expression.matches(in: text, range: range(text)) {
            if limit >= 0 && out.count >= limit { break }
            if let found = Range(match.range, in: text) { out.append(String(text[found])) }
        }
        return out
    }

    func replaceAll(_ text: String, with replacement: String, literal: Bool) -> String {
        let template = literal ? NSRegularExpression.escapedTemplate(for: replacement) : goTemplate(replacement)
        return expression.stringByReplacingMatches(in: text, range: range(text), withTemplate: template)
    }

    /// Go's `${1}` and `$name` forms into ICU's `$1`.
    func goTemplate(_ replacement: String) -> String {
        var out = ""
        var chars = Array(replacement)[...]
        while let first = chars.first {
            chars = chars.dropFirst()
            if first == "\\" { out += "\\\\"; continue }
            guard first == "$" else { out.append(first); continue }
            if chars.first == "$" { out += "\\$"; chars = chars.dropFirst(); continue }
            if chars.first == "{", let close = chars.firstIndex(of: "}") {
                let name = String(chars[chars.index(after: chars.startIndex)..<close])
                chars = chars[chars.index(after: close)...]
                out += Int(name) != nil ? "${\(name)}".replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "") : "${\(name)}"
                continue
            }
            var name = ""
            while let next = chars.first, next.isLetter || next.isNumber || next == "_" { name.append(next); chars = chars.dropFirst() }
            if name.isEmpty { continue }
            out += Int(name) != nil ? "$" + name : "${\(name)}"
        }
        return out
    }

    func split(_ text: String, limit: Int) -> [String] {
        if limit == 0 { return [] }
        var out: [String] = []
        var start = text.startIndex
        for match in expression.matches(in: text, range: range(text)) {
            if limit > 0 && out.count == limit - 1 { break }
            guard let found = Range(match.range, in: text) else { continue }
            if found.isEmpty && found.lowerBound == text.startIndex { continue }
            out.append(String(text[start..<found.lowerBound]))
            start = found.upperBound
        }
        out.append(String(text[start...]))
        return out
    }
}
