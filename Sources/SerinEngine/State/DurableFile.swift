import Foundation

/// Replaces a file so that a crash at any moment leaves the old content or
/// the new one, never half of either: the bytes go to a temporary file
/// beside it, which is fsynced and renamed over the old one, and the folder
/// is fsynced so the rename itself survives a power cut.
public enum DurableFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Temporary files are named `.<name>.<random>.tmp` in the same folder;
    /// `removeLeftovers` deletes those an interrupted write left behind.
    public static func replace(_ path: String, with data: Data) throws(WriteError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(UInt32.random(in: 0...UInt32.max)).tmp"
        try write(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot replace \(path): \(reason)")
        }
        syncDirectory(directory)
    }

    /// Removes a file and makes its removal durable.
    public static func remove(_ path: String) {
        unlink(path)
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    public static func isLeftover(_ name: String) -> Bool { name.hasPrefix(".") && name.hasSuffix(".tmp") }

    private static func write(_ data: Data, to path: String) throws(WriteError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failure {
            unlink(path)
            throw WriteError(description: "cannot write \(path): \(String(cString: strerror(failure)))")
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw WriteError(description: "cannot sync \(path): \(reason)")
        }
    }

    /// Makes a rename in `path`'s folder durable.
    public static func syncDirectory(of path: String) {
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
