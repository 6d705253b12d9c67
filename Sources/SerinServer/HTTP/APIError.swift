import Hummingbird

/// An error the API answers with its status and `{"error": "..."}`.
struct APIError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, notFound, conflict, contentTooLarge, misdirected, unavailable
    }

    private let kind: Kind
    let message: String
    /// Seconds a client should wait before asking again (503).
    private var retryAfter: Int?

    private init(_ kind: Kind, _ message: String, retryAfter: Int? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    static func contentTooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, message) }
    /// 421: the request named another host (DNS rebinding).
    static func misdirected(_ message: String) -> APIError { APIError(.misdirected, message) }
    /// 503 with Retry-After: too busy now, not broken.
    static func unavailable(_ message: String, retryAfter: Int) -> APIError { APIError(.unavailable, message, retryAfter: retryAfter) }

    var status: HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .conflict: .conflict
        case .contentTooLarge: .contentTooLarge
        case .misdirected: .misdirectedRequest
        case .unavailable: .serviceUnavailable
        }
    }

    var description: String { "\(status.code) \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(status: status, ErrorBody(error: message))
        if kind == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}

/// The body of every error answer.
struct ErrorBody: Codable, Sendable {
    var error: String
}

/// The body of every accepted command or delivery.
struct AcceptedBody: Codable, Sendable {
    var accepted: String
}
