import Foundation
import SerinSpec
import SerinTesting
import Testing

/// The render stage's reader of a snapshot on disk, with the kernel's
/// openat2(RESOLVE_BENEATH) and with its own walk: links are followed
/// inside the snapshot only, and nothing but a regular file is read.
@Suite struct SnapshotFilesTests {
    /// A snapshot with every shape of link, built by hand (as an older
    /// Serin, or another tool, could have left it).
    static func snapshot(_ directory: TemporaryDirectory) throws -> String {
        let root = directory.path + "/snapshot"
        try FileManager.default.createDirectory(atPath: root + "/deploy", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try "kind: ConfigMap\n".write(toFile: root + "/deploy/web.yaml", atomically: true, encoding: .utf8)
        try "secret".write(toFile: directory.path + "/outside.txt", atomically: true, encoding: .utf8)
        symlink("../..", root + "/a/b/up")
        symlink("a/b/up/../outside.txt", root + "/escape.yaml")
        symlink("/etc/passwd", root + "/passwd.yaml")
        symlink("a/b/up/../../../../../../../../dev/zero", root + "/zero.yaml")
        symlink("/dev/zero", root + "/deploy/zero.yaml")
        symlink("loop2", root + "/loop1")
        symlink("loop1", root + "/loop2")
        symlink("web.yaml", root + "/deploy/alias.yaml")
        symlink("a/b/up/deploy", root + "/through")
        symlink("nowhere/at/all", root + "/dangling")
        mkfifo(root + "/deploy/fifo.yaml", 0o600)
        return root
    }

    @Test(.timeLimit(.minutes(1)), arguments: FencedDirectory.Resolution.allCases)
    func linksStayInsideAndOnlyRegularFilesAreRead(resolution: FencedDirectory.Resolution) throws {
        let directory = try TemporaryDirectory(prefix: "serin-fence")
        defer { directory.remove() }
        let files = SnapshotFiles(root: try Self.snapshot(directory), resolution: resolution)
        // Inside, links included.
        #expect(try files.read("deploy/web.yaml", limit: 1024) == Data("kind: ConfigMap\n".utf8))
        #expect(try files.read("deploy/alias.yaml", limit: 1024) == Data("kind: ConfigMap\n".utf8))
        #expect(try files.read("through/web.yaml", limit: 1024) == Data("kind: ConfigMap\n".utf8))
        #expect(try files.entry(at: "through") == .directory)
        #expect(try files.entry(at: "dangling") == nil)
        #expect(try files.list("deploy") == ["alias.yaml", "fifo.yaml", "web.yaml", "zero.yaml"])
        // Out: refused, never read.
        for path in ["escape.yaml", "passwd.yaml", "zero.yaml", "deploy/zero.yaml", "a/b/up/..", "../outside.txt", "deploy/../../outside.txt"] {
            #expect(throws: SourceFileError.self, "\(path)") { try files.read(path, limit: 1 << 20) }
            #expect(throws: SourceFileError.self, "\(path)") { try files.entry(at: path) }
        }
        #expect(throws: SourceFileError.self) { try files.read("loop1", limit: 1024) }
        // A FIFO is not a file to read, and is never opened for reading (which would block).
        #expect(try files.entry(at: "deploy/fifo.yaml") == nil)
        #expect(throws: SourceFileError.self) { try files.read("deploy/fifo.yaml", limit: 1024) }
        // Limits hold.
        #expect(throws: SourceFileError.self) { try files.read("deploy/web.yaml", limit: 4) }
        // The files under a folder, as the render stage lists them: a link
        // out among them fails the listing, naming it.
        let listing = #expect(throws: SourceFileError.self) { try files.files(under: "deploy") { $0.hasSuffix(".yaml") } }
        #expect(listing?.path == "deploy/zero.yaml", "\(String(describing: listing))")
    }

    /// A working directory is resolved the same way, to a path of folders
    /// with no link in it.
    @Test(arguments: FencedDirectory.Resolution.allCases)
    func resolvingGivesARealPathInside(resolution: FencedDirectory.Resolution) throws {
        let directory = try TemporaryDirectory(prefix: "serin-fence")
        defer { directory.remove() }
        let root = try Self.snapshot(directory)
        let fence = FencedDirectory(root: root, resolution: resolution)
        #expect(try fence.resolve("through") == root + "/deploy")
        #expect(try fence.resolve("a/b/up/a") == root + "/a")
        #expect(try fence.resolve("") == root)
        #expect(try fence.resolve("dangling") == nil)
        #expect(throws: SourceFileError.self) { try fence.resolve("escape.yaml") }
        #expect(throws: SourceFileError.self) { try fence.resolve("a/b/up/..") }
    }
}
