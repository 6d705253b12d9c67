/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
/// Widths count Characters, which is right for the symbols the views use (✓ ≥ ▶).
/// Cells are escaped for the terminal as they are added (`TerminalText`):
/// they hold text from Git, webhooks and Prometheus.
/// A column with a `limits` entry is cut to that many characters (the last
/// one `…`), so that one long cell does not pad every row to its width.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// Column index → the most characters a cell of it shows.
    var limits: [Int: Int] = [:]
    /// Whether `add` cut a cell.
    private(set) var cut = false

    init(_ header: [String], limits: [Int: Int] = [:]) {
        self.header = header
        self.limits = limits
    }

    /// Escaped for the terminal first, then cut: the limit counts what is shown.
    mutating func add(_ row: [String]) {
        rows.append(row.map(TerminalText.escaped).enumerated().map { column, cell in
            guard let limit = limits[column], cell.count > limit else { return cell }
            cut = true
            return String(cell.prefix(limit - 1)) + "…"
        })
    }

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
