import Foundation

/// Size-capped logs rotated by copy and truncate. The process writes
/// straight to its log file (no pipe through the supervisor, so its output
/// survives the supervisor), which means the file cannot be renamed away
/// under it: the supervisor copies it to `.1` and truncates it in place,
/// and the process, which opened it with O_APPEND, goes on at the new end.
/// Lines written between the copy and the truncation are lost, as with
/// logrotate's copytruncate.
struct LogRotation: Sendable {
    var limit: Int
    /// Rotated copies kept: `.1` (newest) to `.<kept>`.
    var kept: Int

    /// Rotates `path` if it is over the limit; returns whether it did.
    @discardableResult
    func rotateIfNeeded(_ path: String) throws(SupervisorError) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, Int(info.st_size) > limit else { return false }
        if kept < 1 {
            guard truncate(path, 0) == 0 else { throw .system("cannot truncate log \(path)") }
            return true
        }
        unlink("\(path).\(kept)")
        for index in stride(from: kept - 1, through: 1, by: -1) {
            rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        try copy(path, to: "\(path).1")
        guard truncate(path, 0) == 0 else { throw .system("cannot truncate log \(path)") }
        return true
    }

    private func copy(_ source: String, to destination: String) throws(SupervisorError) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .system("cannot read log \(source)") }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .system("cannot write rotated log \(destination)") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .system("cannot read log \(source)") }
            if count == 0 { return }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes { write(output, $0.baseAddress! + offset, count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw .system("cannot write rotated log \(destination)") }
                offset += written
            }
        }
    }
}
