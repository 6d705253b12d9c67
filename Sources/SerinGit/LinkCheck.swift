/// Where a symbolic link of a tree leads, resolved as the kernel would
/// (one component at a time, links inside the target followed, `..` taken
/// from where the walk is, not from the text), against the tree itself
/// rather than a disk: a link that leads out of the tree, or into a loop,
/// is refused before anything is written.
enum LinkCheck {
    enum Kind: Equatable {
        case directory
        case file
        case link(target: String)
    }

    /// How many links one resolution may go through (Linux's own limit).
    static let maximumLinks = 40
    /// The longest target a link may hold (PATH_MAX).
    static let maximumTarget = 4096

    /// Why the link at `path` (components below the root) to `target` is
    /// refused; nil when it stays inside or leads to nothing (a dangling
    /// link: the kernel stops at the first missing component). `kind`
    /// says what the tree holds at a path.
    static func refusal(at path: [Substring], target: String, kind: (String) -> Kind?) -> String? {
        var resolved = Array(path.dropLast())
        var pending: [Substring] = []
        var links = 0
        func push(_ target: String) -> String? {
            if target.utf8.contains(0) { return "its target holds a NUL byte" }
            if target.utf8.count > maximumTarget { return "its target is longer than \(maximumTarget) bytes" }
            if target.hasPrefix("/") { return "it points to the absolute path \(target), outside the checkout; make it relative" }
            if target.isEmpty { return "its target is empty" }
            pending.append(contentsOf: target.split(separator: "/").reversed())
            return nil
        }
        if let refused = push(target) { return refused }
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                guard resolved.popLast() != nil else {
                    return "it leads out of the checkout (\(target), resolved through the links on its way)"
                }
                continue
            }
            let candidate = resolved + [part]
            switch kind(candidate.joined(separator: "/")) {
            case nil, .file?:
                // Nothing there, or a file that cannot be gone through: the resolution stops inside.
                return nil
            case .directory?:
                resolved = candidate
            case .link(let next)?:
                links += 1
                guard links <= maximumLinks else { return "it goes through more than \(maximumLinks) links: a loop" }
                if let refused = push(next) { return "it goes through \(candidate.joined(separator: "/")), and \(refused)" }
            }
        }
        return nil
    }
}
