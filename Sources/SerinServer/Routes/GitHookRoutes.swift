import Hummingbird
import Logging
import NIOCore
import SerinEngine

/// `POST /hooks/git/{source}`: a Git host says a source changed. The
/// operator checks the signature; this only hands over headers and the raw
/// body, which the signature covers byte for byte.
struct GitHookRoutes: Sendable {
    let control: any OperatorControl
    let bodyLimit: Int
    let logger: Logger

    func register(on router: Router<some RequestContext>) {
        router.post("/hooks/git/:source") { request, context in
            try await deliver(request, source: context.parameters.require("source"))
        }
    }

    private func deliver(_ request: Request, source: String) async throws -> Response {
        // Refuse a declared oversize body before reading any of it.
        if let length = request.headers[.contentLength].flatMap(Int.init), length > bodyLimit {
            throw tooLarge()
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            // HTTP's rule for repeated fields: their values joined with commas mean the same.
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        switch await control.gitWebhook(source: source, headers: headers, body: Array(body.readableBytesView)) {
        case .accepted:
            logger.info("git webhook accepted", metadata: ["source": "\(source)"])
            return JSONResponse.make(status: .accepted, AcceptedBody(accepted: "sync of source \"\(source)\" requested"))
        case .unknownSource:
            throw APIError.notFound("no Git source named \"\(source)\"")
        case .unauthorized(let reason):
            logger.notice("git webhook refused", metadata: ["source": "\(source)", "reason": "\(reason)"])
            throw APIError.unauthorized(reason)
        }
    }

    private func tooLarge() -> APIError {
        .contentTooLarge("a webhook body is limited to \(bodyLimit) bytes")
    }
}
