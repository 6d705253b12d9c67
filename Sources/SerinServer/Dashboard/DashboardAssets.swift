import Hummingbird

/// The dashboard's files, compiled in (`DashboardAssets+Sources.swift`,
/// generated from `dashboard/` by scripts/embed-dashboard.sh): a static
/// binary serves them with no resource bundle to find beside it.
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

    init() {
        var files: [String: Asset] = [:]
        for source in Self.sources {
            files[source.file] = Asset(contentType: Self.contentType(of: source.file), etag: source.etag, text: source.text,
                                      body: ByteBuffer(string: source.text))
        }
        self.files = files
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
