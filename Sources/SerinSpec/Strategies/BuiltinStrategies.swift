import SerinStrategyFiles

/// The strategies every Canary can name in `strategyRef`: canary,
/// canary-exponential, blue-green, ab-testing and mirror-then-canary. Their
/// source is `strategies/*.yaml`, embedded at build time.
public enum BuiltinStrategies {
    /// Each file's path in the repository and its text.
    public static let sources: [(file: String, text: String)] = BuiltinStrategyFiles.all.map { ($0.file, String(decoding: $0.bytes, as: UTF8.self)) }

    public static let all: [Strategy] = {
        var strategies: [Strategy] = []
        for (file, text) in sources {
            let loaded = ManifestLoader().load(text: text, file: file)
            precondition(loaded.isValid, "built-in strategy \(file) does not load: \(loaded.diagnostics)")
            strategies += loaded.strategies
        }
        return strategies
    }()

    public static var names: [String] { all.map(\.name) }
}
