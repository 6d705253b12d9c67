import CSerinFiles
import Foundation

/// A directory read from the inside only: every path is resolved below
/// `root` with links followed only while they stay below it (an absolute
/// link, or a `..` that climbs above the root, is refused), by the kernel
/// (`openat2` with `RESOLVE_BENEATH`) where it can, else by a walk of one
/// component at a time under directory descriptors that does the same.
/// Revision snapshots are read this way: by the render stage, for a
/// workload's working directory, and for the files a revision is hashed from.
public struct FencedDirectory: Sendable {
    public enum Resolution: Sendable, CaseIterable {
        /// `openat2(RESOLVE_BENEATH)`: Linux 5.6 and later.
        case kernel
        /// One component at a time: `openat(Self.pathOnly | O_NOFOLLOW)`, `readlinkat`.
        case walk
    }

    public let root: String
    public let resolution: Resolution
    /// How many links one path may go through (Linux's own limit).
    static let maximumLinks = 40
    /// `O_PATH`.
    public static let pathOnly = serin_o_path()

    /// `resolution` nil: the kernel's where it has openat2.
    public init(root: String, resolution: Resolution? = nil) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.resolution = resolution ?? (Self.kernelResolves ? .kernel : .walk)
    }

    /// Whether this kernel has openat2 (asked once).
    static let kernelResolves: Bool = {
        let descriptor = serin_open_beneath(AT_FDCWD, ".", Self.pathOnly)
        if descriptor >= 0 { close(descriptor) }
        return descriptor != -ENOSYS
    }()

    /// An open descriptor for `path` with `flags`; nil when nothing is
    /// there. Throws when the path (its links included) leads outside.
    public func open(_ path: String, flags: Int32) throws(SourceFileError) -> Int32? {
        let base = Glibc.open(root, Self.pathOnly | O_DIRECTORY | O_CLOEXEC)
        guard base >= 0 else { throw SourceFileError(path, "the checkout \(root) cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(base) }
        let relative = Self.components(path).joined(separator: "/")
        if resolution == .kernel {
            let descriptor = serin_open_beneath(base, relative.isEmpty ? "." : relative, flags)
            if descriptor >= 0 { return descriptor }
            switch -descriptor {
            case ENOENT, ENOTDIR: return nil
            case EXDEV: throw SourceFileError(path, "leads outside the checkout (an absolute link, or a way up through its links)")
            case ELOOP: throw SourceFileError(path, "goes through too many links (a loop)")
            case ENOSYS: break
            default: throw SourceFileError(path, "cannot be opened: \(String(cString: strerror(-descriptor)))")
            }
        }
        return try walk(path, from: base) { (parent, name) throws(SourceFileError) -> Int32? in
            let descriptor = openat(parent, name, flags | O_NOFOLLOW | O_CLOEXEC)
            if descriptor < 0 {
                if errno == ENOENT || errno == ENOTDIR { return nil }
                throw SourceFileError(path, "cannot be opened: \(String(cString: strerror(errno)))")
            }
            return descriptor
        }
    }

    /// `path` below the root with every link resolved (a path of folders
    /// and a last entry, none of them a link); nil when nothing is there.
    /// For handing a place to another program (a workload's working
    /// directory): the snapshot it points into is read-only.
    public func resolve(_ path: String) throws(SourceFileError) -> String? {
        let base = Glibc.open(root, Self.pathOnly | O_DIRECTORY | O_CLOEXEC)
        guard base >= 0 else { throw SourceFileError(path, "the checkout \(root) cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(base) }
        var names: [String] = []
        let found: Int32? = try walk(path, from: base, names: &names) { (parent, name) throws(SourceFileError) -> Int32? in
            let descriptor = openat(parent, name, Self.pathOnly | O_NOFOLLOW | O_CLOEXEC)
            return descriptor >= 0 ? descriptor : nil
        }
        guard let found else { return nil }
        close(found)
        return names.isEmpty ? root : root + "/" + names.joined(separator: "/")
    }

    /// What is at `path` (links followed inside): its stat, nil when nothing is.
    public func status(of path: String) throws(SourceFileError) -> stat? {
        guard let descriptor = try open(path, flags: Self.pathOnly) else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SourceFileError(path, "cannot be read: \(String(cString: strerror(errno)))") }
        return info
    }

    /// A regular file's bytes, at most `limit`; anything else (a folder, a
    /// FIFO, a device, a socket) is refused without being opened for reading.
    public func read(_ path: String, limit: Int) throws(SourceFileError) -> Data {
        guard let info = try status(of: path) else { throw SourceFileError(path, "no such file") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw SourceFileError(path, "is not a regular file") }
        guard Int(info.st_size) <= limit else {
            throw SourceFileError(path, "is \(Int(info.st_size)) bytes, larger than the limit of \(limit)")
        }
        guard let descriptor = try open(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY) else { throw SourceFileError(path, "no such file") }
        defer { close(descriptor) }
        var opened = stat()
        // The same file as the one checked, still a regular one.
        guard fstat(descriptor, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG, opened.st_ino == info.st_ino, opened.st_dev == info.st_dev else {
            throw SourceFileError(path, "is not a regular file")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SourceFileError(path, "cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[..<count])
        }
        guard data.count <= limit else { throw SourceFileError(path, "is larger than the limit of \(limit) bytes") }
        return data
    }

    /// The names in a folder, sorted.
    public func list(_ path: String) throws(SourceFileError) -> [String] {
        guard let descriptor = try open(path, flags: O_RDONLY | O_DIRECTORY) else { throw SourceFileError(path, "no such directory") }
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            throw SourceFileError(path, "cannot list the directory")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }

    private func walk(_ path: String, from base: Int32, _ final: (Int32, String) throws(SourceFileError) -> Int32?) throws(SourceFileError) -> Int32? {
        var names: [String] = []
        return try walk(path, from: base, names: &names, final)
    }

    /// Resolves `path` one component at a time under folder descriptors;
    /// `final` opens the last entry (not a link) in its folder. `names`
    /// ends as the path of folders taken.
    private func walk(_ path: String, from base: Int32, names: inout [String],
                      _ final: (Int32, String) throws(SourceFileError) -> Int32?) throws(SourceFileError) -> Int32? {
        var folders: [Int32] = []
        defer { folders.forEach { close($0) } }
        var pending = Array(path.split(separator: "/").reversed())
        var links = 0
        if pending.isEmpty || pending.allSatisfy({ $0 == "." }) { return try final(base, ".") }
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                guard let folder = folders.popLast() else { throw SourceFileError(path, "leads outside the checkout") }
                close(folder)
                names.removeLast()
                continue
            }
            let current = folders.last ?? base
            let name = String(part)
            let descriptor = openat(current, name, Self.pathOnly | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT || errno == ENOTDIR { return nil }
                throw SourceFileError(path, "cannot be opened: \(String(cString: strerror(errno)))")
            }
            var info = stat()
            fstat(descriptor, &info)
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                close(descriptor)
                links += 1
                guard links <= Self.maximumLinks else { throw SourceFileError(path, "goes through too many links (a loop)") }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlinkat(current, name, &buffer, Int(PATH_MAX))
                guard count >= 0 else { return nil }
                let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard !target.hasPrefix("/") else { throw SourceFileError(path, "leads outside the checkout (a link to \(target))") }
                pending.append(contentsOf: target.split(separator: "/").reversed())
            case S_IFDIR where pending.contains(where: { $0 != "." }):
                folders.append(descriptor)
                names.append(name)
            default:
                close(descriptor)
                guard !pending.contains(where: { $0 != "." }) else { return nil } // a file on the way: ENOTDIR
                names.append(name)
                return try final(current, name)
            }
        }
        // The path ended in `..` or `.`: the folder reached.
        return try final(folders.last ?? base, ".")
    }
}
