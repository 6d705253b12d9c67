import Hummingbird
import NIOCore

/// Turns Hummingbird's own errors (unknown path, body too large, ...) into
/// the API's `{"error": "..."}` form, so a client parses every failure the same way.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError.contentTooLarge("the request body is larger than the API accepts")
        } catch let error as HTTPError {
            if error.status == .notFound {
                throw APIError.notFound("no such endpoint: \(request.method) \(request.uri.path)")
            }
            return JSONResponse.make(status: error.status, ErrorBody(error: error.body ?? error.status.reasonPhrase))
        }
    }
}
