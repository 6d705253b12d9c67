import Hummingbird
import Logging
import SerinEngine

/// `POST /api/v1/sources/NAME/promote`: opens the gate before a source's
/// next wave (`pause: true`); needs the token as a rollout's commands do.
struct WaveRoutes: Sendable {
    let control: any OperatorControl
    let token: BearerToken
    let logger: Logger

    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.post("/api/v1/sources/:name/promote") { request, context in
            try token.authorize(request)
            let name = try context.parameters.require("name")
            let caller = try RolloutRoutes.caller(inCommandBody: try await request.body.collect(upTo: RolloutRoutes.commandBodyLimit))
            switch await control.promoteWave(source: name, by: caller) {
            case .accepted(let message):
                logger.info("wave promoted", metadata: ["source": "\(name)", "by": "\(caller ?? "-")"])
                return JSONResponse.make(status: .accepted, AcceptedBody(accepted: message))
            case .unknownSource:
                throw APIError.notFound("no source named \"\(name)\"")
            case .conflict(let reason):
                throw APIError.conflict(reason)
            }
        }
    }
}
