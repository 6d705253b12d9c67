/// The dashboard's files (the HTML, CSS and JavaScript beside this file),
/// compiled into the binary by SwiftPM (`.embedInCode` in Package.swift):
/// a static binary serves them with no resource bundle to find beside it,
/// and nothing is generated or checked in twice.
public enum DashboardFiles {
    public static let all: [(name: String, bytes: [UInt8])] = [
        ("index.html", PackageResources.index_html),
        ("serin.css", PackageResources.serin_css),
        ("serin.js", PackageResources.serin_js),
    ]
}
