/// Text from elsewhere (Git, webhooks, Prometheus, a workload's output) as
/// a terminal may show it: every control character is written as a visible
/// escape, so none is obeyed (a commit subject that clears the screen, sets
/// the window title, moves the cursor over a line or reverses the text).
/// Tabs stay; a view's own line breaks are added after escaping.
public enum TerminalText {
    /// C0 controls but tab, DEL, C1 controls (U+0080–U+009F: CSI is U+009B),
    /// and the bidirectional overrides and isolates ("Trojan Source").
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `s` with each control character written as `\e`, `\a`, `\b`, `\r`,
    /// `\n`, or `\u{XX}`; printable text unchanged, so escaping twice is
    /// escaping once.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                result.append(scalar)
                continue
            }
            let shown: String
            switch scalar.value {
            case 0x1B: shown = "\\e"
            case 0x07: shown = "\\a"
            case 0x08: shown = "\\b"
            case 0x0D: shown = "\\r"
            case 0x0A: shown = "\\n"
            default: shown = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            result.append(contentsOf: shown.unicodeScalars)
        }
        return String(result)
    }
}
