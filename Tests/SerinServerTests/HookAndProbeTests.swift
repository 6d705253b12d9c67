import Foundation
import SerinEngine
import SerinServerTesting
import Testing

/// Git webhooks, `/metrics` and the probes.
@Suite struct HookAndProbeTests {
    @Test func aSignedDeliveryIs202AndTheOperatorGetsHeadersAndTheRawBody() async throws {
        let control = FakeOperator()
        let body = #"{"ref": "refs/heads/main",  "after": "8e1f2a3"}"#
        try await withAPIServer(control) { port in
            let response = try await TestHTTP.request(port: port, "POST", "/hooks/git/deploy",
                                                      headers: ["X-Serin-Secret": "hook-secret", "X-GitHub-Event": "push"], body: Array(body.utf8))
            #expect(response.status == 202)
            #expect(response.field("accepted") == #"sync of source "deploy" requested"#)
        }
        let delivery = try #require(control.deliveries.first)
        #expect(delivery.source == "deploy")
        #expect(delivery.body == Array(body.utf8))
        #expect(delivery.headers["x-github-event"] == "push")
        #expect(delivery.headers["x-serin-secret"] == "hook-secret")
    }

    @Test func aBadSignatureIs401WithTheReasonAndAnUnknownSource404() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let wrong = try await TestHTTP.request(port: port, "POST", "/hooks/git/deploy", headers: ["X-Serin-Secret": "guess"], body: Array("{}".utf8))
            #expect(wrong.status == 401)
            #expect(wrong.error == #"x-serin-secret does not match source "deploy""#)
            let unknown = try await TestHTTP.request(port: port, "POST", "/hooks/git/elsewhere", body: Array("{}".utf8))
            #expect(unknown.status == 404)
            #expect(unknown.error == #"no Git source named "elsewhere""#)
        }
    }

    @Test func aBodyOverOneMebibyteIs413() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let limit = 1 << 20
            let atLimit = try await TestHTTP.request(port: port, "POST", "/hooks/git/deploy", headers: ["X-Serin-Secret": "hook-secret"],
                                                     body: [UInt8](repeating: 0x20, count: limit))
            #expect(atLimit.status == 202)
            let over = try await TestHTTP.request(port: port, "POST", "/hooks/git/deploy", headers: ["X-Serin-Secret": "hook-secret"],
                                                  body: [UInt8](repeating: 0x20, count: limit + 1))
            #expect(over.status == 413)
            #expect(over.error == "a webhook body is limited to 1048576 bytes")
        }
        #expect(control.deliveries.count == 1)
    }

    @Test func readyzFollowsTheOperator() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            #expect(try await TestHTTP.get(port: port, "/readyz").status == 503)
            control.setReady(true)
            let ready = try await TestHTTP.get(port: port, "/readyz")
            #expect(ready.status == 200)
            let health = try await TestHTTP.get(port: port, "/healthz")
            #expect(health.status == 200)
            #expect(health.text == "ok")
        }
    }

    @Test func metricsAreThePrometheusText() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let response = try await TestHTTP.get(port: port, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(response.text == "# TYPE serin_info gauge\nserin_info{version=\"test\"} 1\n")
        }
    }
}
