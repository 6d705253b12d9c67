/// Paths inside the repository as kustomize computes them: joined and
/// cleaned lexically (Go's `filepath.Join`), `..` resolved against the
/// names, not against links. Reading them goes through `SourceFiles`, which
/// follows links only while they stay inside the tree.
enum RepositoryPath {
    /// `entry` taken relative to `directory`; nil when it climbs above the
    /// repository's root.
    static func join(_ directory: String, _ entry: String) -> String? {
        var parts: [Substring] = directory.split(separator: "/")
        for part in entry.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard parts.popLast() != nil else { return nil }
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    static func parent(_ path: String) -> String {
        guard let cut = path.lastIndex(of: "/") else { return "" }
        return String(path[..<cut])
    }

    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// What kustomize would fetch instead of reading a local path.
    static func isRemote(_ entry: String) -> Bool {
        let lower = entry.lowercased()
        if lower.contains("://") { return true }
        for prefix in ["git::", "gh:", "git@", "github.com:", "github.com/", "gitlab.com/", "bitbucket.org/"] where lower.hasPrefix(prefix) {
            return true
        }
        return lower.contains("?ref=") || lower.contains("?version=") || lower.contains(".git//") || lower.hasSuffix(".git")
    }
}
