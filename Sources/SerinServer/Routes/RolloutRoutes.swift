import Foundation
import Hummingbird
import Logging
import SerinEngine

/// `/api/v1/rollouts`: read rollouts and their history, send them commands.
struct RolloutRoutes: Sendable {
    let control: any OperatorControl
    let token: BearerToken
    let logger: Logger

    /// A command's body is at most a small JSON object (room for options later).
    static let commandBodyLimit = 64 * 1024

    /// A rollout is `/api/v1/namespaces/NS/rollouts/NAME`, or
    /// `/api/v1/rollouts/NAME` where only one rollout has that name; with
    /// several clusters, `/api/v1/clusters/CLUSTER/namespaces/NS/rollouts/NAME`.
    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/api/v1/rollouts") { _, _ in
            JSONResponse.make(await control.rollouts())
        }
        for prefix in ["/api/v1/rollouts/:name", "/api/v1/namespaces/:namespace/rollouts/:name",
                       "/api/v1/clusters/:cluster/namespaces/:namespace/rollouts/:name"] {
            router.get(RouterPath(prefix)) { _, context in
                let name = try Self.name(context)
                guard let status = await control.rollout(named: name) else { throw Self.unknown(name) }
                return JSONResponse.make(status)
            }
            router.get(RouterPath(prefix + "/history")) { _, context in
                let name = try Self.name(context)
                guard let history = await control.history(of: name) else { throw Self.unknown(name) }
                return JSONResponse.make(history)
            }
            router.post(RouterPath(prefix + "/:command")) { request, context in
                try await command(request, name: Self.name(context), command: context.parameters.require("command"))
            }
        }
    }

    static func name(_ context: some RequestContext) throws -> String {
        let name = try context.parameters.require("name")
        guard let namespace = context.parameters.get("namespace") else { return name }
        guard let cluster = context.parameters.get("cluster") else { return "\(namespace)/\(name)" }
        return "\(cluster)/\(namespace)/\(name)"
    }

    /// Checks in this order: who asks (before anything is revealed), what is
    /// asked, then whether it applies to the rollout as it stands.
    private func command(_ request: Request, name: String, command commandName: String) async throws -> Response {
        try token.authorize(request)
        guard let command = RolloutCommand(rawValue: commandName) else {
            let known = RolloutCommand.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.badRequest("unknown command \"\(commandName)\": use one of \(known)")
        }
        let caller = try Self.caller(inCommandBody: try await request.body.collect(upTo: Self.commandBodyLimit))
        let outcome = await control.command(command, rollout: name, by: caller)
        switch outcome {
        case .accepted(let message):
            logger.info("command accepted", metadata: ["rollout": "\(name)", "command": "\(command.rawValue)", "by": "\(caller ?? "-")"])
            return JSONResponse.make(status: .accepted, AcceptedBody(accepted: message))
        case .unknownRollout:
            throw Self.unknown(name)
        case .conflict(let reason):
            logger.info("command refused", metadata: ["rollout": "\(name)", "command": "\(command.rawValue)", "reason": "\(reason)"])
            throw APIError.conflict(reason)
        }
    }

    /// Empty, or a JSON object whose `by`, if any, names who asks (the
    /// history says who aborted a release): anything else is a client that
    /// meant something we do not do.
    static func caller(inCommandBody body: ByteBuffer) throws(APIError) -> String? {
        let bytes = Data(body.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else {
            throw .badRequest("the body must be empty or a JSON object")
        }
        guard let by = object["by"] else { return nil }
        guard let name = by as? String, (1...100).contains(name.count),
              !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .badRequest("\"by\" must be a name of 1 to 100 printable characters")
        }
        return name
    }

    static func unknown(_ name: String) -> APIError {
        .notFound("no rollout named \"\(name)\"")
    }
}
