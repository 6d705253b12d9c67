/// Orders findings so that the first error is a cause, never a side effect
/// of another finding: a source's condition shows only its first error
/// ("… (and 2 more)"), and a refused commit must name what to fix.
///
/// Causes come first (unreadable files, then misspelt fields, then the
/// rest, each by position), then the errors that follow from them (marked as
/// consequences), then warnings by position.
enum CauseOrder {
    static func order(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var items = diagnostics
        let errors = diagnostics.sortedByPosition().filter(\.isError)
        // A file that could not be read hid whatever it declared: a reference
        // that finds nothing may be to one of those.
        let unreadable = errors.first { $0.kind == .unreadable }
        let typos = errors.compactMap { diagnostic -> (Diagnostic, String)? in
            guard case .unknownField(let suggestion?) = diagnostic.kind else { return nil }
            return (diagnostic, suggestion)
        }
        for index in items.indices where items[index].isError {
            switch items[index].kind {
            case .unresolvedReference:
                items[index].consequence = unreadable?.position
            case .missingField(let field):
                // The typo in the same file, after where the field was missed (its mapping's start).
                let missing = items[index].position
                items[index].consequence = typos.first {
                    $0.1 == field && $0.0.position.file == missing.file && !($0.0.position < missing)
                }?.0.position
            default:
                break
            }
        }
        return items.sorted { lhs, rhs in
            let (left, right) = (rank(lhs), rank(rhs))
            if left != right { return left < right }
            if lhs.position != rhs.position { return lhs.position < rhs.position }
            return lhs.message < rhs.message
        }
    }

    private static func rank(_ diagnostic: Diagnostic) -> Int {
        guard diagnostic.isError else { return 5 }
        if diagnostic.isConsequence { return 4 }
        switch diagnostic.kind {
        case .unreadable: return 0
        case .unknownField(let suggestion): return suggestion == nil ? 2 : 1
        default: return 2
        }
    }
}

extension Array where Element == Diagnostic {
    /// Causes first, consequences after them, then warnings; see `CauseOrder`.
    public func orderedByCause() -> [Diagnostic] { CauseOrder.order(self) }
}
