import Hummingbird

/// Runs before the router, on every request: a path with an empty, `.` or
/// `..` segment is refused (the router folds empty segments away, so
/// `//api/v1/sources` would reach a route whose checks saw another path),
/// and, when the API listens on loopback, a Host other than a loopback
/// name or `api.allowedHosts` is refused (a page on another site whose
/// name resolves to 127.0.0.1 — DNS rebinding — sends its own name).
struct RequestGuard<Inner: HTTPResponder>: HTTPResponder where Inner.Context: RequestContext {
    typealias Context = Inner.Context

    let inner: Inner
    /// Lower-cased host names the API answers to; nil: any.
    let hosts: Set<String>?

    static var loopbackNames: Set<String> { ["localhost", "127.0.0.1", "::1"] }

    /// The names to answer to for a server listening on `listen` with
    /// `allowed` extra names; nil when every name is answered.
    static func hosts(listeningOn listen: String, allowed: [String]) -> Set<String>? {
        let extra = Set(allowed.map { $0.lowercased() })
        guard isLoopback(listen) || !extra.isEmpty else { return nil }
        return loopbackNames.union(extra)
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let refusal = Self.pathRefusal(request.uri.path) {
            return try APIError.badRequest(refusal).response(from: request, context: context)
        }
        if let hosts, let refusal = Self.hostRefusal(request.head.authority, allowed: hosts) {
            return try APIError.misdirected(refusal).response(from: request, context: context)
        }
        return try await inner.respond(to: request, context: context)
    }

    /// Why `path` is not one the routes name as written; nil when it is.
    static func pathRefusal(_ path: String) -> String? {
        guard path != "/" else { return nil }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for segment in segments {
            let decoded = segment.removingPercentEncoding ?? String(segment)
            if segment.isEmpty || decoded == "." || decoded == ".." || decoded.contains("/") {
                return "the path \(path) has an empty, \".\" or \"..\" segment; ask for the path as the API names it, such as /api/v1/rollouts"
            }
        }
        return nil
    }

    /// Why a request naming `authority` (Host) is refused; nil when its name is allowed.
    static func hostRefusal(_ authority: String?, allowed: Set<String>) -> String? {
        guard let authority, !authority.isEmpty else { return nil }
        var name = Substring(authority)
        if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
            name = name[name.index(after: name.startIndex)..<close]
        } else if let colon = name.lastIndex(of: ":"), name.firstIndex(of: ":") == colon {
            name = name[..<colon]
        }
        let host = name.lowercased()
        if allowed.contains(host) || (host.hasPrefix("127.") && host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }) {
            return nil
        }
        return "Host \(authority) is not a name of this API (it listens on loopback, and a page elsewhere may point its name at it); "
            + "add the name to api.allowedHosts in serin.yaml to reach the API by it"
    }
}
