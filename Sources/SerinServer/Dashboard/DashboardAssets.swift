import Hummingbird
import SerinDashboard

/// The dashboard's files, compiled in (`dashboard/`, the SerinDashboard
/// target): a static binary serves them with no resource bundle to find
/// beside it.
struct DashboardAssets: Sendable {
    struct Asset: Sendable {
        var contentType: String
        /// A strong validator fixed when the file was embedded.
        var etag: String
        var text: String
        var body: ByteBuffer
    }

    /// File name → asset.
    let files: [String: Asset]

    /// Each file's name and text.
    static let sources: [(file: String, text: String)] = DashboardFiles.all.map { ($0.name, String(decoding: $0.bytes, as: UTF8.self)) }

    init() {
        var files: [String: Asset] = [:]
        for file in DashboardFiles.all {
            let text = String(decoding: file.bytes, as: UTF8.self)
            files[file.name] = Asset(contentType: Self.contentType(of: file.name), etag: Self.etag(file.bytes), text: text,
                                    body: ByteBuffer(bytes: file.bytes))
        }
        self.files = files
    }

    /// A strong validator from the content (FNV-1a, 64 bits: identity, not
    /// secrecy), the same in every process that serves these bytes.
    static func etag(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// Bytes of HTML, CSS and JavaScript a first visit loads.
    var pageSize: Int { files.values.reduce(0) { $0 + $1.body.readableBytes } }

    static func contentType(of file: String) -> String {
        if file.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if file.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if file.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        return "application/octet-stream"
    }
}
