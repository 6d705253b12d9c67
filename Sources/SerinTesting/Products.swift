import Foundation

/// Where the package's built executables are, for tests that run them.
public enum Products {
    /// The repository's root, found from this source file.
    public static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The path of a built executable of this package (`serin`, `serin-bench`).
    public static func executable(_ name: String) -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["SERIN_BIN_DIR"] { candidates.append("\(override)/\(name)") }
        // The test bundle sits beside the executables in the build folder.
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(name).path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name).path)
        candidates.append("\(repositoryRoot)/.build/debug/\(name)")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }
}
