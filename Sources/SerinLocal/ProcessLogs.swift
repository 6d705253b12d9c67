import Foundation

/// The output of a workload's processes, as the supervisor leaves it in
/// `<stateDir>/local/logs/<workload>-<role>-<replica>.log` (with rotated
/// copies `.1` … `.N`, newest first), read for `serin logs`.
///
/// Followed by inode, not by name: a promoted canary's file is renamed to
/// the primary's while its process goes on writing, and a name can be
/// taken by a new process's file. A file shorter than what was read was
/// rotated (copied, then truncated in place) and is read again from its start.
public struct ProcessLogs: Sendable {
    public struct File: Sendable, Equatable {
        /// `web-primary-0`: the file's name without `.log`.
        public var name: String
        public var role: Role
        public var replica: Int
        public var path: String
    }

    public struct Line: Sendable, Equatable {
        public var file: String
        public var text: String
    }

    public let directory: String
    public let workload: String
    public let role: Role?
    /// inode → bytes read so far.
    private var offsets: [UInt64: Int] = [:]

    public init(stateDirectory: String, workload: String, role: Role? = nil) {
        directory = stateDirectory + "/local/logs"
        self.workload = workload
        self.role = role
    }

    /// The workload's current log files, primary before canary, then by replica.
    public func files() -> [File] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [File] = []
        for name in names where name.hasPrefix(workload + "-") && name.hasSuffix(".log") {
            let rest = name.dropFirst(workload.count + 1).dropLast(4)
            let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let fileRole = Role(rawValue: String(parts[0])), role == nil || fileRole == role,
                  let replica = Int(parts[1]), replica >= 0 else { continue }
            found.append(File(name: String(name.dropLast(4)), role: fileRole, replica: replica, path: directory + "/" + name))
        }
        return found.sorted { (Role.allCases.firstIndex(of: $0.role)!, $0.replica) < (Role.allCases.firstIndex(of: $1.role)!, $1.replica) }
    }

    /// What the rotated copies of the current files hold, oldest first; lines
    /// that were rotated away before `serin logs` looked.
    public func rotatedLines() -> [Line] {
        var lines: [Line] = []
        for file in files() {
            let copies = (1...99).map { "\(file.path).\($0)" }.prefix { FileManager.default.fileExists(atPath: $0) }
            for copy in copies.reversed() {
                let data = FileManager.default.contents(atPath: copy) ?? Data()
                lines += Self.split(data).lines.map { Line(file: file.name, text: $0) }
            }
        }
        return lines
    }

    /// The complete lines written since the last call (everything, the first
    /// time), file by file; a line still being written waits for its end.
    public mutating func newLines() -> [Line] {
        var lines: [Line] = []
        var seen: Set<UInt64> = []
        for file in files() {
            let handle = open(file.path, O_RDONLY | O_CLOEXEC)
            guard handle >= 0 else { continue }
            defer { close(handle) }
            var info = stat()
            guard fstat(handle, &info) == 0 else { continue }
            let inode = UInt64(info.st_ino)
            seen.insert(inode)
            var offset = offsets[inode] ?? 0
            if Int(info.st_size) < offset { offset = 0 }
            guard Int(info.st_size) > offset, lseek(handle, off_t(offset), SEEK_SET) >= 0 else {
                offsets[inode] = offset
                continue
            }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(handle, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                data.append(contentsOf: buffer[0..<count])
            }
            let (complete, consumed) = Self.split(data)
            offsets[inode] = offset + consumed
            lines += complete.map { Line(file: file.name, text: $0) }
        }
        // Files gone (a stopped process's, after a rollback) are forgotten;
        // their inode may be reused by a new file.
        offsets = offsets.filter { seen.contains($0.key) }
        return lines
    }

    /// Complete lines, and the bytes they take (up to the last newline).
    static func split(_ data: Data) -> (lines: [String], consumed: Int) {
        guard let last = data.lastIndex(of: UInt8(ascii: "\n")) else { return ([], 0) }
        let consumed = last - data.startIndex + 1
        let text = String(decoding: data.prefix(consumed), as: UTF8.self)
        return (text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init), consumed)
    }
}
