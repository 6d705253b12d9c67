import Foundation

/// A directory under the system's temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "serin-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// Writes `contents` at a path relative to the directory, creating folders.
    @discardableResult
    public func write(_ relativePath: String, _ contents: String) throws -> String {
        let full = "\(path)/\(relativePath)"
        let folder = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try contents.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
