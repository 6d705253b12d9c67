import Foundation
import Testing
@testable import SerinRouter

extension TestConnection {
    /// Which backend answers a request written by hand: `primary` or `canary`.
    func backend(_ method: String = "GET", _ target: String = "/", host: String? = "test", headers: [String] = []) async throws -> String? {
        let host = host.map { "Host: \($0)\r\n" } ?? ""
        try await send("\(method) \(target) HTTP/1.1\r\n\(host)" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: 0\r\n\r\n")
        return try await readResponse().header("x-backend")
    }
}

/// A/B `match` through the router to real backends: each condition kind,
/// conditions of one entry together, entries as alternatives.
@Suite struct MatchTests {
    /// Runs `body` against a router whose canary takes the requests that
    /// match `match` (and nothing by weight).
    func withRouter(_ match: [MatchCondition], _ body: (TestConnection) async throws -> Void) async throws {
        let fixture = try await RouterFixture.start(match: match)
        do {
            try await body(try TestConnection(port: fixture.port))
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    @Test func aRegexMatchesTheWholeValueAsInEnvoy() async throws {
        try await withRouter([MatchCondition(headers: ["x-version": StringMatch(regex: "v1")])]) { connection async throws in
            #expect(try await connection.backend(headers: ["X-Version: v1"]) == "canary")
            #expect(try await connection.backend(headers: ["X-Version: v10"]) == "primary")
            #expect(try await connection.backend(headers: ["X-Version: av1"]) == "primary")
        }
        // Alternatives are tried until the whole value matches, not only the first that matches a part.
        try await withRouter([MatchCondition(headers: ["x-version": StringMatch(regex: "v1|v10")])]) { connection async throws in
            #expect(try await connection.backend(headers: ["X-Version: v10"]) == "canary")
        }
        // A pattern's own line anchors do not let a trailing line through.
        try await withRouter([MatchCondition(queryParams: ["v": StringMatch(regex: "^v1$")])]) { connection async throws in
            #expect(try await connection.backend("GET", "/?v=v1") == "canary")
            #expect(try await connection.backend("GET", "/?v=v1%0A") == "primary")
        }
    }

    @Test func flaggersCookieRegexMatchesTheCookieHeader() async throws {
        try await withRouter([MatchCondition(headers: ["cookie": StringMatch(regex: "^(.*?;)?(canary=always)(;.*)?$")])]) { connection async throws in
            #expect(try await connection.backend(headers: ["Cookie: canary=always"]) == "canary")
            #expect(try await connection.backend(headers: ["Cookie: canary=always; session=1"]) == "canary")
            #expect(try await connection.backend(headers: ["Cookie: session=1;canary=always"]) == "canary")
            #expect(try await connection.backend(headers: ["Cookie: canary=alwaysnot"]) == "primary")
            #expect(try await connection.backend(headers: ["Cookie: notcanary=always"]) == "primary")
            #expect(try await connection.backend() == "primary")
        }
    }

    @Test func uriMatchesThePathWithoutItsQuery() async throws {
        try await withRouter([
            MatchCondition(uri: StringMatch(exact: "/exact")),
            MatchCondition(uri: StringMatch(prefix: "/api/v2/")),
            MatchCondition(uri: StringMatch(regex: "/items/[0-9]+")),
        ]) { connection async throws in
            #expect(try await connection.backend("GET", "/exact") == "canary")
            #expect(try await connection.backend("GET", "/exact?x=1") == "canary")
            #expect(try await connection.backend("GET", "/exactly") == "primary")
            #expect(try await connection.backend("GET", "/EXACT") == "primary")
            #expect(try await connection.backend("GET", "/api/v2/users") == "canary")
            #expect(try await connection.backend("GET", "/api/v1/users?next=/api/v2/") == "primary")
            #expect(try await connection.backend("GET", "/items/42") == "canary")
            #expect(try await connection.backend("GET", "/items/42/reviews") == "primary")
            // An absolute-form target is matched on its path.
            #expect(try await connection.backend("GET", "http://test/items/7?a=b") == "canary")
        }
    }

    @Test func ignoreUriCaseAppliesToExactPrefixAndSuffixButNotRegex() async throws {
        try await withRouter([
            MatchCondition(uri: StringMatch(prefix: "/Beta/"), ignoreUriCase: true),
            MatchCondition(uri: StringMatch(suffix: ".JSON"), ignoreUriCase: true),
            MatchCondition(uri: StringMatch(regex: "/preview"), ignoreUriCase: true),
        ]) { connection async throws in
            #expect(try await connection.backend("GET", "/beta/page") == "canary")
            #expect(try await connection.backend("GET", "/BETA/page") == "canary")
            #expect(try await connection.backend("GET", "/data.json") == "canary")
            #expect(try await connection.backend("GET", "/preview") == "canary")
            #expect(try await connection.backend("GET", "/PREVIEW") == "primary")
            #expect(try await connection.backend("GET", "/alpha/page") == "primary")
        }
    }

    @Test func methodAuthorityAndScheme() async throws {
        try await withRouter([MatchCondition(method: StringMatch(exact: "POST"))]) { connection async throws in
            #expect(try await connection.backend("POST") == "canary")
            #expect(try await connection.backend("GET") == "primary")
        }
        try await withRouter([MatchCondition(authority: StringMatch(regex: "beta\\.example\\.com(:[0-9]+)?"))]) { connection async throws in
            #expect(try await connection.backend(host: "beta.example.com") == "canary")
            #expect(try await connection.backend(host: "beta.example.com:8080") == "canary")
            #expect(try await connection.backend(host: "www.example.com") == "primary")
            #expect(try await connection.backend(host: "beta.example.com.evil") == "primary")
            // The authority of an absolute-form target stands for the Host header.
            #expect(try await connection.backend("GET", "http://beta.example.com/", host: "other") == "canary")
        }
        try await withRouter([MatchCondition(scheme: StringMatch(exact: "http"), headers: ["x-a": StringMatch(exact: "1")])]) { connection async throws in
            #expect(try await connection.backend(headers: ["X-A: 1"]) == "canary")
        }
        try await withRouter([MatchCondition(scheme: StringMatch(exact: "https"))]) { connection async throws in
            #expect(try await connection.backend() == "primary")
        }
    }

    @Test func queryParamsAreComparedDecoded() async throws {
        try await withRouter([
            MatchCondition(queryParams: ["user group": StringMatch(exact: "beta testers/ü")]),
            MatchCondition(queryParams: ["canary": StringMatch(exact: "")]),
            MatchCondition(queryParams: ["v": StringMatch(prefix: "2.")]),
        ]) { connection async throws in
            #expect(try await connection.backend("GET", "/?user%20group=beta+testers%2F%C3%BC") == "canary")
            #expect(try await connection.backend("GET", "/?a=1&user+group=beta%20testers/%c3%bc&b=2") == "canary")
            #expect(try await connection.backend("GET", "/?user%20group=beta+testers") == "primary")
            #expect(try await connection.backend("GET", "/?canary") == "canary")
            #expect(try await connection.backend("GET", "/?canary=") == "canary")
            #expect(try await connection.backend("GET", "/?canary=yes") == "primary")
            #expect(try await connection.backend("GET", "/?v=1.9&v=2.1") == "canary")
            #expect(try await connection.backend("GET", "/v=2.1") == "primary")
            // A `%` that starts no escape stays as it is.
            #expect(try await connection.backend("GET", "/?v=%zz") == "primary")
        }
    }

    @Test func withoutHeadersExcludesRequestsWhoseHeaderHolds() async throws {
        try await withRouter([MatchCondition(uri: StringMatch(prefix: "/"), withoutHeaders: ["x-internal": StringMatch(exact: "true")])]) { connection async throws in
            #expect(try await connection.backend() == "canary")
            #expect(try await connection.backend(headers: ["X-Internal: false"]) == "canary")
            #expect(try await connection.backend(headers: ["X-Internal: true"]) == "primary")
            #expect(try await connection.backend(headers: ["X-Internal: false", "X-Internal: true"]) == "primary")
        }
        // On its own, too: every request but those carrying the header.
        try await withRouter([MatchCondition(withoutHeaders: ["user-agent": StringMatch(regex: ".*bot.*")])]) { connection async throws in
            #expect(try await connection.backend(headers: ["User-Agent: curl/8"]) == "canary")
            #expect(try await connection.backend(headers: ["User-Agent: googlebot/2.1"]) == "primary")
        }
    }

    @Test func conditionsOfAnEntryAllHoldAndEntriesAreAlternatives() async throws {
        try await withRouter([
            MatchCondition(uri: StringMatch(prefix: "/api"), method: StringMatch(exact: "GET"), headers: ["x-beta": StringMatch(exact: "1")],
                           queryParams: ["debug": StringMatch(exact: "on")]),
            MatchCondition(headers: ["x-canary": StringMatch(exact: "insider")]),
        ]) { connection async throws in
            #expect(try await connection.backend("GET", "/api/x?debug=on", headers: ["X-Beta: 1"]) == "canary")
            #expect(try await connection.backend("POST", "/api/x?debug=on", headers: ["X-Beta: 1"]) == "primary")
            #expect(try await connection.backend("GET", "/web?debug=on", headers: ["X-Beta: 1"]) == "primary")
            #expect(try await connection.backend("GET", "/api/x?debug=off", headers: ["X-Beta: 1"]) == "primary")
            #expect(try await connection.backend("GET", "/api/x?debug=on") == "primary")
            #expect(try await connection.backend("POST", "/web", headers: ["X-Canary: insider"]) == "canary")
        }
    }

    @Test func aTableWithAnUnusableConditionIsRefused() throws {
        func table(_ condition: MatchCondition) -> RouteTable {
            RouteTable(version: 1, routes: [Route(workload: "web", listen: "127.0.0.1:0", primary: [], match: [condition])])
        }
        #expect(throws: RouteTableError(path: "routes[0].match[0]", "has no condition, so it would match every request")) {
            try table(MatchCondition()).validate()
        }
        #expect(throws: RouteTableError(path: "routes[0].match[0].uri.regex", "\"(\" is not a valid regular expression")) {
            try table(MatchCondition(uri: StringMatch(regex: "("))).validate()
        }
        // Balanced on its own or not at all: a pattern cannot close the group that anchors it.
        #expect(throws: RouteTableError(path: "routes[0].match[0].headers.x-a.regex", "\"a)|(b\" is not a valid regular expression")) {
            try table(MatchCondition(headers: ["x-a": StringMatch(regex: "a)|(b")])).validate()
        }
        #expect(throws: RouteTableError(path: "routes[0].match[0].withoutHeaders.x a", "\"x a\" is not a header name")) {
            try table(MatchCondition(withoutHeaders: ["x a": StringMatch(exact: "1")])).validate()
        }
    }

    @Test func aHeaderOnlyConditionTravelsAsBefore() throws {
        let condition = MatchCondition(headers: ["x-canary": StringMatch(exact: "1")])
        let encoded = String(decoding: try JSONEncoder().encode(condition), as: UTF8.self)
        #expect(encoded == #"{"headers":{"x-canary":{"exact":"1"}}}"#)
        let full = MatchCondition(uri: StringMatch(prefix: "/a"), ignoreUriCase: true, scheme: StringMatch(exact: "http"), method: StringMatch(exact: "GET"),
                                  authority: StringMatch(exact: "h"), headers: [:], queryParams: ["q": StringMatch(exact: "1")],
                                  withoutHeaders: ["x": StringMatch(exact: "2")])
        #expect(try JSONDecoder().decode(MatchCondition.self, from: JSONEncoder().encode(full)) == full)
        #expect(try JSONDecoder().decode(MatchCondition.self, from: Data(#"{"uri":{"exact":"/"}}"#.utf8)) == MatchCondition(uri: StringMatch(exact: "/")))
    }
}
