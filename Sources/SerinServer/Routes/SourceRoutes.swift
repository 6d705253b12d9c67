import Foundation
import Hummingbird
import Logging
import SerinEngine

/// `/api/v1/sources/NAME/...`: a source's history and diff, and the
/// commands a person gives it (suspend, resume, reconcile, rollback,
/// unpin), which need the token as a rollout's do.
struct SourceRoutes: Sendable {
    let control: any OperatorControl
    let token: BearerToken
    let logger: Logger

    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/api/v1/sources/:name/history") { _, context in
            let name = try context.parameters.require("name")
            guard let history = await control.sourceHistory(of: name) else { throw Self.unknown(name) }
            return JSONResponse.make(history)
        }
        router.get("/api/v1/sources/:name/diff") { _, context in
            let name = try context.parameters.require("name")
            switch await control.diff(source: name) {
            case .diff(let diff): return JSONResponse.make(diff)
            case .unknownSource: throw Self.unknown(name)
            case .unavailable(let reason): throw APIError.conflict(reason)
            }
        }
        router.post("/api/v1/sources/:name/:command") { request, context in
            try await command(request, name: context.parameters.require("name"), command: context.parameters.require("command"))
        }
    }

    /// Who asks first, then what is asked, then whether it applies.
    private func command(_ request: Request, name: String, command commandName: String) async throws -> Response {
        try token.authorize(request)
        guard let command = SourceCommand(rawValue: commandName) else {
            let known = SourceCommand.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.badRequest("unknown source command \"\(commandName)\": use one of \(known)")
        }
        let body = try await request.body.collect(upTo: RolloutRoutes.commandBodyLimit)
        let caller = try RolloutRoutes.caller(inCommandBody: body)
        let revision = try Self.revision(inCommandBody: body)
        if command == .rollback, revision == nil { throw APIError.badRequest("rollback needs {\"revision\": REVISION} (serin history source \(name) lists them)") }
        switch await control.sourceCommand(command, source: name, revision: revision, by: caller) {
        case .accepted(let message):
            logger.info("source command accepted", metadata: ["source": "\(name)", "command": "\(command.rawValue)", "by": "\(caller ?? "-")"])
            return JSONResponse.make(status: .accepted, AcceptedBody(accepted: message))
        case .unknownSource:
            throw Self.unknown(name)
        case .conflict(let reason), .unsupported(let reason):
            logger.info("source command refused", metadata: ["source": "\(name)", "command": "\(command.rawValue)", "reason": "\(reason)"])
            throw APIError.conflict(reason)
        }
    }

    /// `revision` of a command's JSON body, if any (the caller's check ran first).
    static func revision(inCommandBody body: ByteBuffer) throws(APIError) -> String? {
        let bytes = Data(body.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any], let value = object["revision"] else { return nil }
        guard let revision = value as? String, (1...200).contains(revision.count),
              !revision.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .badRequest("\"revision\" must be a revision or commit id of 1 to 200 printable characters")
        }
        return revision
    }

    static func unknown(_ name: String) -> APIError {
        .notFound("no source named \"\(name)\"")
    }
}
