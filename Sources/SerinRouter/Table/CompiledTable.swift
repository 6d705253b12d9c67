import NIOCore

/// A table checked and prepared for the hot path: addresses resolved,
/// header names lower-cased as bytes, regexes compiled (anchored). Immutable, so every
/// event loop can hold the same one; a new table is a new object.
final class CompiledTable: Sendable {
    let version: Int
    let source: RouteTable
    let routes: [String: CompiledRoute]
    let backends: Set<String>

    init(_ table: RouteTable) throws(RouteTableError) {
        var routes: [String: CompiledRoute] = [:]
        var listens: [String: String] = [:]
        var backends: Set<String> = []
        guard table.version >= 0 else { throw RouteTableError(path: "version", "must not be negative") }
        for (index, route) in table.routes.enumerated() {
            let path = "routes[\(index)]"
            let compiled = try CompiledRoute(route, path: path)
            if routes[route.workload] != nil {
                throw RouteTableError(path: "\(path).workload", "\"\(route.workload)\" appears twice")
            }
            if compiled.listen.port != 0, let other = listens[compiled.listenKey] {
                throw RouteTableError(path: "\(path).listen", "\(route.listen) is already the listener of workload \(other)")
            }
            listens[compiled.listenKey] = route.workload
            routes[route.workload] = compiled
            for backend in compiled.primary + compiled.canary { backends.insert(backend.key) }
        }
        self.version = table.version
        self.source = table
        self.routes = routes
        self.backends = backends
    }
}

/// Why a table was refused, with the field's path (`routes[0].canaryWeight`)
/// so a YAML file can point at the line.
public struct RouteTableError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

final class Backend: Sendable {
    /// `host:port` as written; the pool and the down list are keyed by it.
    let key: String
    let address: SocketAddress

    init(_ text: String, path: String) throws(RouteTableError) {
        key = text
        address = try Backend.parse(text, path: path)
    }

    static func parse(_ text: String, path: String, allowAnyPort: Bool = false) throws(RouteTableError) -> SocketAddress {
        var host = Substring(text)
        guard let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]),
              ((allowAnyPort ? 0 : 1)...65_535).contains(port) else {
            throw RouteTableError(path: path, "\"\(text)\" is not host:port")
        }
        host = host[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if host == "localhost" { host = "127.0.0.1" }
        do {
            return try SocketAddress(ipAddress: String(host), port: port)
        } catch {
            throw RouteTableError(path: path, "\"\(text)\" needs an IP address (a name would be resolved on every connection)")
        }
    }
}

final class CompiledRoute: Sendable {
    let workload: String
    let listen: SocketAddress
    let listenKey: String
    let primary: [Backend]
    let canary: [Backend]
    let canaryWeight: Int
    let mirrorWeight: Int
    let match: [CompiledMatch]
    let affinity: CompiledAffinity?
    let primaryRevision: String
    let canaryRevision: String

    init(_ route: Route, path: String) throws(RouteTableError) {
        guard !route.workload.isEmpty else { throw RouteTableError(path: "\(path).workload", "is required") }
        guard route.workload.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            throw RouteTableError(path: "\(path).workload", "\"\(route.workload)\" must be printable ASCII without quotes or spaces")
        }
        workload = route.workload
        // Port 0 lets the system pick (tests, benchmarks); boundAddresses() tells which.
        listen = try Backend.parse(route.listen, path: "\(path).listen", allowAnyPort: true)
        listenKey = "\(listen)"
        // A route may have no backend for a while (nothing is ready yet): its
        // listener stays open and answers 503 rather than refusing connections.
        var primary: [Backend] = []
        for (index, text) in route.primary.enumerated() { primary.append(try Backend(text, path: "\(path).primary[\(index)]")) }
        var canary: [Backend] = []
        for (index, text) in route.canary.enumerated() { canary.append(try Backend(text, path: "\(path).canary[\(index)]")) }
        self.primary = primary
        self.canary = canary
        guard (0...100).contains(route.canaryWeight) else {
            throw RouteTableError(path: "\(path).canaryWeight", "\(route.canaryWeight) is not a percentage (0 to 100)")
        }
        guard (0...100).contains(route.mirrorWeight) else {
            throw RouteTableError(path: "\(path).mirrorWeight", "\(route.mirrorWeight) is not a percentage (0 to 100)")
        }
        canaryWeight = route.canaryWeight
        mirrorWeight = route.mirrorWeight
        for (field, revision) in [("primaryRevision", route.primaryRevision), ("canaryRevision", route.canaryRevision)] {
            guard let revision, !revision.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else { continue }
            throw RouteTableError(path: "\(path).\(field)", "\"\(revision)\" must be printable ASCII without quotes or spaces")
        }
        primaryRevision = route.primaryRevision ?? ""
        canaryRevision = route.canaryRevision ?? ""
        var match: [CompiledMatch] = []
        for (index, condition) in route.match.enumerated() {
            match.append(try CompiledMatch(condition, path: "\(path).match[\(index)]"))
        }
        self.match = match
        if let affinity = route.sessionAffinity {
            self.affinity = try CompiledAffinity(affinity, path: "\(path).sessionAffinity")
        } else {
            self.affinity = nil
        }
    }
}

final class CompiledAffinity: Sendable {
    let cookieName: [UInt8]
    let primaryCookieName: [UInt8]?
    let maxAge: Int
    let canaryCookieName: String
    let primaryCookie: String?

    init(_ affinity: SessionAffinity, path: String) throws(RouteTableError) {
        for (field, name) in [("cookieName", affinity.cookieName), ("primaryCookieName", affinity.primaryCookieName ?? "x")] {
            guard !name.isEmpty, name.utf8.allSatisfy(HeadScanner.isToken) else {
                throw RouteTableError(path: "\(path).\(field)", "\"\(name)\" is not a cookie name")
            }
        }
        guard affinity.maxAge > 0 else { throw RouteTableError(path: "\(path).maxAge", "must be positive") }
        cookieName = Array(affinity.cookieName.utf8)
        primaryCookieName = affinity.primaryCookieName.map { Array($0.utf8) }
        canaryCookieName = affinity.cookieName
        primaryCookie = affinity.primaryCookieName
        maxAge = affinity.maxAge
    }
}
