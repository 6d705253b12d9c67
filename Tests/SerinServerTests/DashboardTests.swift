import Foundation
import SerinEngine
@testable import SerinServer
import SerinServerTesting
import SerinTesting
import Testing

/// The dashboard's files over real HTTP: headers that keep data as data,
/// revalidation, and who may read with `dashboardAuth`.
@Suite struct DashboardTests {
    let token = "s3cret-token"

    @Test(arguments: [("/", "text/html; charset=utf-8"), ("/dashboard/serin.js", "text/javascript; charset=utf-8"),
                      ("/dashboard/serin.css", "text/css; charset=utf-8")])
    func servesEachFileWithTheSecurityHeaders(path: String, type: String) async throws {
        try await withAPIServer(FakeOperator()) { port in
            let response = try await TestHTTP.get(port: port, path)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == type)
            #expect(response.headers["content-security-policy"] ==
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
            #expect(response.headers["x-content-type-options"] == "nosniff")
            #expect(response.headers["cache-control"] == "no-cache")
            #expect(response.headers["etag"]?.hasPrefix("\"") == true)
            #expect(response.body.count > 500)
        }
    }

    @Test func answers304WhenTheETagMatches() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let first = try await TestHTTP.get(port: port, "/dashboard/serin.js")
            let etag = try #require(first.headers["etag"])
            let again = try await TestHTTP.get(port: port, "/dashboard/serin.js", headers: ["If-None-Match": etag])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
            let changed = try await TestHTTP.get(port: port, "/dashboard/serin.js", headers: ["If-None-Match": "\"stale\""])
            #expect(changed.status == 200)
            let missing = try await TestHTTP.get(port: port, "/dashboard/nope.js")
            #expect(missing.status == 404)
            #expect(missing.error == #"no dashboard file "nope.js""#)
        }
    }

    /// No inline script or style anywhere: the CSP forbids them, so the page
    /// would break, and data placed into markup is the usual way in.
    @Test func thePageHasNoInlineScriptAndTheScriptNoInnerHTML() throws {
        let assets = DashboardAssets()
        let html = try #require(assets.files["index.html"]).text
        let script = try #require(assets.files["serin.js"]).text
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(html.contains(#"<script src="/dashboard/serin.js" defer></script>"#))
        #expect(!html.contains("style=") && html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!script.contains(sink), "serin.js uses \(sink)")
        }
    }

    /// Every file of dashboard/ is compiled in, byte for byte (SwiftPM's embedInCode).
    @Test func theEmbeddedFilesAreThoseInTheRepository() throws {
        let folder = Products.repositoryRoot + "/dashboard"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".swift") }.sorted()
        #expect(DashboardAssets.sources.map(\.file).sorted() == files)
        for source in DashboardAssets.sources {
            #expect(try String(contentsOfFile: folder + "/" + source.file, encoding: .utf8) == source.text, "\(source.file)")
        }
        #expect(DashboardAssets.etag(Array("a".utf8)) == "\"af63dc4c8601ec8c\"")
    }

    @Test func readsAreOpenByDefault() async throws {
        try await withAPIServer(FakeOperator()) { port in
            for path in ["/api/v1/rollouts", "/api/v1/sources", "/api/v1/workloads", "/api/v1/rollouts/web/history"] {
                let status = try await TestHTTP.get(port: port, path).status
                #expect(status == 200, "\(path)")
            }
        }
    }

    @Test func dashboardAuthTokenProtectsEveryRead() async throws {
        try await withAPIServer(FakeOperator(), dashboardAuth: .token) { port in
            for path in ["/api/v1/rollouts", "/api/v1/rollouts/web", "/api/v1/namespaces/default/rollouts/web/history",
                         "/api/v1/sources", "/api/v1/sources/deploy", "/api/v1/workloads", "/api/v1/events"] {
                let refused = try await TestHTTP.get(port: port, path)
                #expect(refused.status == 401, "\(path)")
                #expect(refused.error == "missing Authorization: Bearer token")
                #expect(refused.headers["www-authenticate"] == "Bearer")
                let wrong = try await TestHTTP.get(port: port, path, headers: ["Authorization": "Bearer nope"])
                #expect(wrong.status == 401, "\(path)")
            }
            for path in ["/api/v1/rollouts", "/api/v1/sources/deploy", "/api/v1/workloads"] {
                let status = try await TestHTTP.get(port: port, path, headers: ["Authorization": "Bearer \(token)"]).status
                #expect(status == 200)
            }
            // The page itself holds no data, and the probes stay open for the platform.
            for path in ["/", "/dashboard/serin.js", "/healthz"] {
                let status = try await TestHTTP.get(port: port, path).status
                #expect(status == 200, "\(path)")
            }
        }
    }

    @Test func commandsFindANamespacedRollout() async throws {
        let fake = FakeOperator()
        try await withAPIServer(fake) { port in
            let accepted = try await TestHTTP.post(port: port, "/api/v1/namespaces/default/rollouts/web/abort", token: token,
                                                  body: #"{"by": "dashboard"}"#)
            #expect(accepted.status == 202)
            #expect(accepted.field("accepted") == "abort default/web: requested")
            #expect(fake.commands.map(\.caller) == ["dashboard"])
        }
    }
}
