import Foundation
import SerinEngine
@testable import SerinServer
import SerinServerTesting
import Testing

/// `/api/v1/rollouts` over real HTTP against `FakeOperator`.
@Suite struct RolloutEndpointTests {
    let token = "s3cret-token"

    @Test func listsRolloutsAsJSONWithSortedKeys() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let response = try await TestHTTP.get(port: port, "/api/v1/rollouts")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            let rollouts = try JSONDecoder().decode([RolloutStatus].self, from: Data(response.body))
            #expect(rollouts == SampleRollouts.all)
            // Stable key order: the first keys of the first object, alphabetically.
            #expect(response.text.hasPrefix(#"[{"canaryRevision":"a1b2c3d4e5f6a7b8c9d0e1f2","canaryWeight":40,"#))
        }
    }

    @Test func getsOneRolloutAndItsHistory() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let one = try await TestHTTP.get(port: port, "/api/v1/rollouts/web")
            #expect(one.status == 200)
            #expect(try JSONDecoder().decode(RolloutStatus.self, from: Data(one.body)) == SampleRollouts.web)
            let history = try await TestHTTP.get(port: port, "/api/v1/rollouts/web/history")
            #expect(history.status == 200)
            #expect(try JSONDecoder().decode([RevisionHistoryEntry].self, from: Data(history.body)) == SampleRollouts.histories["web"])
        }
    }

    @Test func unknownRolloutsAndPathsAre404WithAJSONError() async throws {
        try await withAPIServer(FakeOperator()) { port in
            for path in ["/api/v1/rollouts/nope", "/api/v1/rollouts/nope/history"] {
                let response = try await TestHTTP.get(port: port, path)
                #expect(response.status == 404)
                #expect(response.error == #"no rollout named "nope""#)
            }
            let promote = try await TestHTTP.post(port: port, "/api/v1/rollouts/nope/promote", token: token)
            #expect(promote.status == 404)
            #expect(promote.error == #"no rollout named "nope""#)
            let unknownPath = try await TestHTTP.get(port: port, "/api/v2/things")
            #expect(unknownPath.status == 404)
            #expect(unknownPath.headers["content-type"] == "application/json")
            #expect(unknownPath.error == "no such endpoint: GET /api/v2/things")
        }
    }

    @Test(arguments: [
        (nil, "missing Authorization: Bearer token"),
        ("wrong-token", "wrong token"),
        ("s3cret-token-and-more", "wrong token"),
        ("s3cret", "wrong token"),
    ] as [(String?, String)])
    func commandsWithoutTheRightTokenAre401(presented: String?, message: String) async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let response = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/promote", token: presented)
            #expect(response.status == 401)
            #expect(response.error == message)
            #expect(response.headers["www-authenticate"] == "Bearer")
        }
        #expect(control.commands.isEmpty)
    }

    @Test func withoutAConfiguredTokenEveryCommandIsRefused() async throws {
        try await withAPIServer(FakeOperator(), token: nil) { port in
            let response = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/pause", token: "anything")
            #expect(response.status == 401)
            #expect(response.error?.contains("set api.tokenFile") == true)
            // Reading needs no token.
            #expect(try await TestHTTP.get(port: port, "/api/v1/rollouts").status == 200)
        }
    }

    @Test func badCommandsAndBodiesAre400WithAMessage() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let unknown = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/explode", token: token)
            #expect(unknown.status == 400)
            #expect(unknown.error == #"unknown command "explode": use one of promote, abort, pause, resume, retry"#)
            for body in ["[1, 2]", "not json", "\"text\"", "{\"unclosed\": "] {
                let response = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/pause", token: token, body: body)
                #expect(response.status == 400, "\(body)")
                #expect(response.error == "the body must be empty or a JSON object")
            }
        }
        #expect(control.commands.isEmpty)
    }

    @Test func aCommandThatDoesNotFitThePhaseIs409WithTheReason() async throws {
        try await withAPIServer(FakeOperator()) { port in
            let response = try await TestHTTP.post(port: port, "/api/v1/rollouts/api/abort", token: token)
            #expect(response.status == 409)
            #expect(response.error == "cannot abort api: it is Succeeded")
        }
    }

    @Test(arguments: ["", "{}", " {\"reason\": \"looks good\"} \n"])
    func anAcceptedCommandIs202(body: String) async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let response = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/promote", token: token, body: body)
            #expect(response.status == 202)
            #expect(response.field("accepted") == "promote web: requested")
        }
        #expect(control.commands.map(\.command) == [.promote])
        #expect(control.commands.map(\.rollout) == ["web"])
        #expect(control.commands.map(\.caller) == [nil])
    }

    @Test func aCommandSaysWhoAsksWithBy() async throws {
        let control = FakeOperator()
        try await withAPIServer(control) { port in
            let named = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/abort", token: token, body: #"{"by": "ada"}"#)
            #expect(named.status == 202)
            for body in [#"{"by": 3}"#, #"{"by": ""}"#, #"{"by": "a\nb"}"#] {
                let refused = try await TestHTTP.post(port: port, "/api/v1/rollouts/web/abort", token: token, body: body)
                #expect(refused.status == 400, "\(body)")
                #expect(refused.error == "\"by\" must be a name of 1 to 100 printable characters")
            }
        }
        #expect(control.commands.map(\.caller) == ["ada"])
    }

    @Test(arguments: [("abc", true), ("abd", false), ("ab", false), ("abcd", false), ("", false), ("xbc", false)])
    func theTokenIsComparedWhole(presented: String, equal: Bool) {
        #expect(BearerToken.constantTimeEquals(Array(presented.utf8), Array("abc".utf8)) == equal)
    }
}
