import AsyncHTTPClient
import Foundation
import NIOCore

extension KubeClient {
    /// Sends a streaming GET; returns its body once a 200 head came.
    func openStream(_ call: Call) async throws(KubeError) -> HTTPClientResponse.Body.AsyncIterator {
        requests.record(call.verb, path: call.path)
        logger.trace("kubernetes watch", metadata: ["request": "\(call.url)"])
        var request = HTTPClientRequest(url: config.server + call.url)
        request.method = call.method
        addHeaders(&request.headers, contentType: nil)
        let response: HTTPClientResponse
        do {
            // The deadline covers the head only; the body streams until the
            // apiserver's timeoutSeconds.
            response = try await http.execute(request, deadline: .now() + Self.timeAmount(requestTimeout), logger: nil)
        } catch {
            throw KubeError.transport(Self.describe(error, timeout: requestTimeout), request: call.summary)
        }
        guard response.status.code == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            if response.status.code == 401 { token.invalidate() }
            throw Self.failure(Answer(status: Int(response.status.code), headers: response.headers, body: body), call: call)
        }
        return response.body.makeAsyncIterator()
    }
}
