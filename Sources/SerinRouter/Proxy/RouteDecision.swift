/// Which role serves a request, in Flagger's order: a request match (A/B)
/// sends to the canary; a session cookie keeps a client where it was; the
/// weight decides the rest. Requests the primary serves may be mirrored.
struct RouteDecision {
    var role: Role
    var setCookie: String?
    var mirror: Bool

    static func decide(_ head: RequestHead, _ bytes: UnsafeRawBufferPointer, _ route: CompiledRoute,
                       _ state: WorkloadState) -> RouteDecision {
        if route.canary.isEmpty { return RouteDecision(role: .primary, mirror: false) }
        if route.primary.isEmpty && route.canaryWeight > 0 { return RouteDecision(role: .canary, mirror: false) }
        if !route.match.isEmpty {
            let target = RequestTarget(head.target, in: bytes)
            if route.match.contains(where: { $0.matches(head, target, bytes) }) { return RouteDecision(role: .canary, mirror: false) }
        }
        if let affinity = route.affinity, route.canaryWeight > 0 {
            if hasCookie(affinity.cookieName, head, bytes) { return RouteDecision(role: .canary, mirror: false) }
            if let primary = affinity.primaryCookieName, hasCookie(primary, head, bytes) {
                return RouteDecision(role: .primary, mirror: false)
            }
        }
        if route.canaryWeight > 0 && state.takeCanaryTurn(weight: route.canaryWeight) {
            let cookie = route.affinity.map { "\($0.canaryCookieName)=\(token()); Max-Age=\($0.maxAge); Path=/" }
            return RouteDecision(role: .canary, setCookie: cookie, mirror: false)
        }
        var cookie: String?
        if let affinity = route.affinity, route.canaryWeight > 0, let name = affinity.primaryCookie {
            cookie = "\(name)=\(token()); Max-Age=\(affinity.maxAge); Path=/"
        }
        let mirror = route.mirrorWeight > 0 && state.takeMirrorTurn(weight: route.mirrorWeight)
        return RouteDecision(role: .primary, setCookie: cookie, mirror: mirror)
    }

    private static func token() -> String {
        String(UInt64.random(in: 1...UInt64.max), radix: 36)
    }

    /// A `Cookie` header carries `name=`.
    static func hasCookie(_ name: [UInt8], _ head: RequestHead, _ bytes: UnsafeRawBufferPointer) -> Bool {
        for field in head.fields where HeadScanner.equalsIgnoringCase(bytes, field.name, "cookie") {
            var index = field.value.lowerBound
            let end = field.value.upperBound
            while index < end {
                while index < end, bytes[index] == .space || bytes[index] == UInt8(ascii: ";") { index += 1 }
                let start = index
                while index < end, bytes[index] != UInt8(ascii: "=") && bytes[index] != UInt8(ascii: ";") { index += 1 }
                if index - start == name.count, zip(start..<index, name).allSatisfy({ bytes[$0] == $1 }) { return true }
                while index < end, bytes[index] != UInt8(ascii: ";") { index += 1 }
            }
        }
        return false
    }

    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lower: [UInt8]) -> Bool {
        guard range.count == lower.count else { return false }
        var offset = 0
        for index in range {
            var byte = bytes[index]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
            if byte != lower[offset] { return false }
            offset += 1
        }
        return true
    }
}
