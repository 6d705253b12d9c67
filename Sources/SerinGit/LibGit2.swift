import CLibGit2
import Foundation
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

    private static let caFiles = Mutex<[String]>([])

    /// Where the system's CA bundle is on Debian and most other systems.
    static let systemBundle = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]
        .first { FileManager.default.isReadableFile(atPath: $0) }

    /// Adds a CA bundle to the certificates HTTPS remotes are checked
    /// against. libgit2 keeps one store per process, and its mbedTLS backend
    /// (Debian's) replaces that store with whatever file it is given: so the
    /// file given is always the system bundle plus every CA any source
    /// named. Nothing is ever trusted blindly.
    static func trust(caFile: String) throws {
        initialize()
        try caFiles.withLock { files in
            guard !files.contains(caFile) else { return }
            guard let extra = FileManager.default.contents(atPath: caFile) else {
                throw GitError(.credentials, "\(caFile): cannot read the CA file")
            }
            var bundle = systemBundle.flatMap { FileManager.default.contents(atPath: $0) } ?? Data()
            for file in files { bundle += FileManager.default.contents(atPath: file) ?? Data() }
            bundle += Data("\n".utf8) + extra
            let combined = FileManager.default.temporaryDirectory.appendingPathComponent("serin-ca-bundle-\(getpid())-\(files.count).pem").path
            guard FileManager.default.createFile(atPath: combined, contents: bundle, attributes: [.posixPermissions: 0o644]) else {
                throw GitError(.credentials, "cannot write the combined CA bundle \(combined)")
            }
            // The TLS backend parses the file when it is set (mbedTLS and
            // OpenSSL alike): it is not needed afterwards, so no bundle is
            // left in the temporary folder by each run.
            defer { try? FileManager.default.removeItem(atPath: combined) }
            try git("reading CA file \(caFile)") { serin_git_set_ssl_cert_file(combined) }
            files.append(caFile)
        }
    }
}
