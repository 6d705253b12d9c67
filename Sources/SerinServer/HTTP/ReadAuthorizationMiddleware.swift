import Hummingbird

/// With `dashboardAuth: token`: every read under `/api/v1` (rollouts,
/// sources, workloads, the event stream) needs the bearer token. The
/// dashboard's own files, the probes, `/metrics` and Git webhooks (signed
/// by their own secret) stay as they are.
struct ReadAuthorizationMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head, request.uri.path.hasPrefix("/api/v1/") {
            try token.authorize(request)
        }
        return try await next(request, context)
    }
}
