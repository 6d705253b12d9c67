import Hummingbird

/// With `dashboardAuth: token`: every route of the group it is added to
/// (rollouts, sources, workloads, the event stream) needs the bearer
/// token. It applies to the routes themselves, whatever path spelling
/// reached them; the dashboard's own files, the probes, `/metrics` and Git
/// webhooks (signed by their own secret) are registered outside the group.
struct ReadAuthorizationMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try token.authorize(request)
        return try await next(request, context)
    }
}
