import Foundation
import Testing

/// Compares rendered text with a file under Golden/. Run with
/// SERIN_UPDATE_GOLDEN=1 to write the files from the current output instead,
/// then read the diff before committing it.
enum Golden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent("\(name).txt"), encoding: .utf8)
    }

    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = folder.appendingPathComponent("\(name).txt")
        if ProcessInfo.processInfo.environment["SERIN_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try text(name)
        #expect(actual == expected, "differs from Golden/\(name).txt:\n\(actual)", sourceLocation: sourceLocation)
    }
}
