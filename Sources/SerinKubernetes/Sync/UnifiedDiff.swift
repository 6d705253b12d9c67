/// Two texts as a unified diff (`diff -u`), lines of context around each
/// change, from the standard library's difference (Myers' algorithm).
enum UnifiedDiff {
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
    }

    /// Empty when the texts are the same.
    static func make(from old: String, to new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let before = lines(old), after = lines(new)
        let difference = after.difference(from: before)
        guard !difference.isEmpty else { return "" }
        // Each line of both sides: kept, removed or inserted, in order.
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        enum Line { case same(String), minus(String), plus(String) }
        var script: [(line: Line, old: Int, new: Int)] = []
        var i = 0, j = 0
        while i < before.count || j < after.count {
            if i < before.count, removed.contains(i) {
                script.append((.minus(before[i]), i, j))
                i += 1
            } else if j < after.count, inserted.contains(j) {
                script.append((.plus(after[j]), i, j))
                j += 1
            } else {
                script.append((.same(before[i]), i, j))
                i += 1
                j += 1
            }
        }
        var output = ["--- \(oldName)", "+++ \(newName)"]
        var index = 0
        while index < script.count {
            guard case .same = script[index].line else {
                // A hunk: context before, the changes, context after, merged while close.
                let start = max(0, index - context)
                var end = index
                var trailing = 0
                while end < script.count {
                    if case .same = script[end].line {
                        trailing += 1
                        if trailing > 2 * context {
                            trailing -= 1
                            break
                        }
                    } else {
                        trailing = 0
                    }
                    end += 1
                }
                end -= max(0, trailing - context)
                let hunk = script[start..<end]
                let oldCount = hunk.filter { if case .plus = $0.line { false } else { true } }.count
                let newCount = hunk.filter { if case .minus = $0.line { false } else { true } }.count
                output.append("@@ -\(hunk.first!.old + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(hunk.first!.new + (newCount > 0 ? 1 : 0)),\(newCount) @@")
                for entry in hunk {
                    switch entry.line {
                    case .same(let text): output.append(" " + text)
                    case .minus(let text): output.append("-" + text)
                    case .plus(let text): output.append("+" + text)
                    }
                }
                index = end
                continue
            }
            index += 1
        }
        return output.joined(separator: "\n") + "\n"
    }
}

extension Array where Element == String {
    fileprivate func dropLastIfEmpty() -> [String] {
        last == "" ? Array(dropLast()) : self
    }
}
