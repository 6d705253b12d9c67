import CLibGit2
import Synchronization

/// Process-wide libgit2 setup, done once before the first repository is used.
public enum LibGit2 {
    /// Object cache and pack mmap limits, set explicitly so memory stays
    /// bounded however large the repositories (libgit2's defaults allow
    /// 256 MiB of cache and 8 GiB of mapped packs on 64-bit systems).
    public struct Limits: Sendable {
        public var cacheBytes = 32 << 20
        public var mmapWindowBytes = 32 << 20
        public var mmapMappedLimitBytes = 256 << 20
        public var mmapFileLimit = 128
        public init() {}
    }

    private static let setup: Void = {
        git_libgit2_init()
        let limits = Limits()
        _ = serin_git_set_cache_max_size(limits.cacheBytes)
        _ = serin_git_set_mwindow_size(limits.mmapWindowBytes)
        _ = serin_git_set_mwindow_mapped_limit(limits.mmapMappedLimitBytes)
        _ = serin_git_set_mwindow_file_limit(limits.mmapFileLimit)
    }()

    static func initialize() { _ = setup }

    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    private static let caFiles = Mutex<Set<String>>([])

    /// Adds a CA bundle to the certificates HTTPS remotes are checked
    /// against. libgit2 keeps one store per process, so a bundle, once
    /// added, serves every source; nothing is ever trusted blindly.
    static func trust(caFile: String) throws {
        initialize()
        try caFiles.withLock { files in
            guard !files.contains(caFile) else { return }
            try git("reading CA file \(caFile)") { serin_git_add_ssl_cert_file(caFile) }
            files.insert(caFile)
        }
    }
}
