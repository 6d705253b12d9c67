import Foundation
import NIOHTTP1
import Testing

@testable import SerinKubernetes

/// How an apiserver answer becomes a `KubeError`.
@Suite struct KubeErrorTests {
    static let call = KubeClient.Call(method: .GET, path: "/api/v1/namespaces/n/configmaps/a", idempotent: true, verb: "get")

    @Test func tooManyRequestsCarriesRetryAfter() {
        let body = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}"#
        let error = KubeClient.failure(KubeClient.Answer(status: 429, headers: ["Retry-After": "3"], body: Data(body.utf8)), call: Self.call)
        #expect(error.isTooManyRequests)
        #expect(error.retryAfterSeconds == 3)  // the header wins over the body
        #expect(error.reason == "TooManyRequests")
        let bodyOnly = KubeClient.failure(KubeClient.Answer(status: 429, headers: [:], body: Data(body.utf8)), call: Self.call)
        #expect(bodyOnly.retryAfterSeconds == 1)
    }

    @Test func answerWithoutStatusBody() {
        let error = KubeClient.failure(KubeClient.Answer(status: 503, headers: [:], body: Data("upstream connect error".utf8)), call: Self.call)
        #expect(error.isServerError)
        #expect(error.message == "upstream connect error")
        #expect(error.reason == nil)
        #expect(error.description == "GET /api/v1/namespaces/n/configmaps/a: 503 upstream connect error")
    }

    @Test func expiredIsGone() {
        let body = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}"#
        let error = KubeClient.failure(KubeClient.Answer(status: 410, headers: [:], body: Data(body.utf8)), call: Self.call)
        #expect(error.isGone)
        #expect(error.status == 410)
    }
}
