/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
/// Widths count Characters, which is right for the symbols the views use (✓ ≥ ▶).
/// Cells are escaped for the terminal as they are added (`TerminalText`):
/// they hold text from Git, webhooks and Prometheus.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row.map(TerminalText.escaped)) }

    func render() -> String { lines().joined(separator: "\n") + "\n" }

    func lines(indent: String = "") -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            var line = indent + cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
