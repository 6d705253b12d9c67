/// Kubernetes' `$(VAR)` references in command and args: `$(NAME)` becomes
/// the variable's value, `$$` becomes `$` (so `$$(NAME)` stays literal
/// `$(NAME)`), and a reference to an unknown variable is left as written.
enum ArgumentExpansion {
    static func expand(_ input: String, _ environment: [String: String]) -> String {
        guard input.contains("$") else { return input }
        var output = ""
        var rest = Substring(input)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest.index(after: dollar)
            guard after < rest.endIndex else {
                output += "$"
                rest = rest[after...]
                break
            }
            if rest[after] == "$" {
                output += "$"
                rest = rest[rest.index(after: after)...]
            } else if rest[after] == "(", let close = rest[after...].firstIndex(of: ")") {
                let name = String(rest[rest.index(after: after)..<close])
                if let value = environment[name] {
                    output += value
                } else {
                    output += rest[dollar...close]
                }
                rest = rest[rest.index(after: close)...]
            } else {
                output += "$"
                rest = rest[after...]
            }
        }
        return output + rest
    }
}
