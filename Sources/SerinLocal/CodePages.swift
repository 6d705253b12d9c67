import Foundation

/// Gives back the resident pages of this process's read-only file mappings:
/// its code and constants and those of the shared libraries it loaded.
///
/// A long-running process keeps every code page it ever touched mapped, and
/// on Linux a page fault on a file mapping maps its neighbours too
/// (fault-around, 64 KiB). Start-up runs a lot of code once (argument
/// parsing, configuration, adoption, the first reconcile), so most of an
/// idle operator's resident memory is code it will not run again.
/// `madvise(MADV_DONTNEED)` drops those pages from the page tables; what is
/// still used comes back from the page cache on its next use, a minor fault.
///
/// Only mappings that cannot differ from their file are touched: private,
/// not writable, and with no anonymous (copied-on-write) page, such as the
/// relocated RELRO part of a data segment. Dropping a page of such a mapping
/// changes nothing the process can read.
public enum CodePages {
    public struct Trim: Sendable, Equatable {
        /// Mappings given back.
        public var mappings = 0
        /// Resident bytes they held before.
        public var bytes = 0
    }

    /// Drops the resident pages of every eligible mapping.
    @discardableResult
    public static func trim() -> Trim {
        var result = Trim()
        for mapping in eligibleMappings() {
            let start = UnsafeMutableRawPointer(bitPattern: mapping.start)
            if madvise(start, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 {
                result.mappings += 1
                result.bytes += mapping.residentBytes
            }
        }
        return result
    }

    struct Mapping: Equatable {
        var start: UInt, end: UInt, residentBytes: Int
    }

    /// The mappings of `/proc/self/smaps` that `trim()` may drop.
    static func eligibleMappings(smaps: String? = readSmaps()) -> [Mapping] {
        guard let smaps else { return [] }
        var found: [Mapping] = []
        var candidate: Mapping?, resident = 0, anonymous = -1, locked = false
        func finish() {
            if var mapping = candidate, resident > 0, anonymous == 0, !locked {
                mapping.residentBytes = resident * 1024
                found.append(mapping)
            }
            candidate = nil
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if !first.hasSuffix(":") {
                // "start-end perms offset dev inode path": a new mapping.
                finish()
                resident = 0; anonymous = -1; locked = false
                let bounds = first.split(separator: "-")
                guard fields.count >= 6, bounds.count == 2,
                      let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                      fields[1] == "r--p" || fields[1] == "r-xp",
                      fields[4] != "0", fields[5].hasPrefix("/") else { continue }
                candidate = Mapping(start: start, end: end, residentBytes: 0)
            } else if candidate != nil, fields.count > 1 {
                switch first {
                case "Rss:": resident = Int(fields[1]) ?? 0
                case "Anonymous:": anonymous = Int(fields[1]) ?? -1
                case "VmFlags:": locked = fields.dropFirst().contains("lo")
                default: break
                }
            }
        }
        finish()
        return found
    }

    /// `/proc/self/smaps`, read to its end (proc files report no size).
    static func readSmaps() -> String? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"),
              let data = try? handle.readToEnd() else { return nil }
        try? handle.close()
        return String(decoding: data, as: UTF8.self)
    }
}
