import Hummingbird

/// An error the API answers with its status and `{"error": "..."}`.
struct APIError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case badRequest, unauthorized, notFound, conflict, contentTooLarge
    }

    private let kind: Kind
    let message: String

    private init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
    static func contentTooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, message) }

    var status: HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .conflict: .conflict
        case .contentTooLarge: .contentTooLarge
        }
    }

    var description: String { "\(status.code) \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(status: status, ErrorBody(error: message))
        if kind == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
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
