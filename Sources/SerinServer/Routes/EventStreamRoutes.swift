import Hummingbird
import Logging
import SerinEngine
import ServiceLifecycle

/// `GET /api/v1/events`: the event log as server-sent events, from where the
/// client asks, then live, with a heartbeat comment so a dead client is found
/// (its write fails) and idle proxies keep the connection.
struct EventStreamRoutes: Sendable {
    let control: any OperatorControl
    let heartbeat: Duration
    /// Streams open at once, at most: each holds a connection and a task.
    let slots: StreamSlots
    let logger: Logger

    private enum Chunk: Sendable {
        case delivery(EventLog.Delivery)
        case heartbeat
    }

    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/api/v1/events") { request, _ in
            let lastEventID = request.headers.first { $0.name.canonicalName == "last-event-id" }?.value
            let start = try ServerSentEvent.startSequence(lastEventID: lastEventID,
                                                          after: request.uri.queryParameters["after"].map(String.init))
            guard let slot = slots.take() else {
                throw APIError.unavailable("\(slots.capacity) event streams are open, as many as the API serves; retry shortly", retryAfter: 5)
            }
            return Response(status: .ok,
                            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                defer { slot.release() }
                                try await stream(after: start, to: &writer)
                            })
        }
    }

    private func stream(after start: Int, to writer: inout any ResponseBodyWriter) async throws {
        let control = self.control, heartbeat = self.heartbeat
        let events = await control.events(after: start)
        // Entries and heartbeats meet in one stream so that a single loop owns the writer.
        let (chunks, output) = AsyncStream<Chunk>.makeStream()
        logger.debug("event stream opened", metadata: ["after": "\(start)"])
        defer { logger.debug("event stream closed", metadata: ["after": "\(start)"]) }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await delivery in events { output.yield(.delivery(delivery)) }
                    output.finish()
                }
                group.addTask {
                    while (try? await Task.sleep(for: heartbeat)) != nil { output.yield(.heartbeat) }
                }
                defer { group.cancelAll() }
                try await writer.write(ByteBuffer(string: ServerSentEvent.comment("serin events after \(start)")))
                for await chunk in chunks {
                    switch chunk {
                    case .delivery(let delivery):
                        try await writer.write(ByteBuffer(string: await ServerSentEvent.messages(for: delivery, from: control)))
                    case .heartbeat: try await writer.write(ByteBuffer(string: ServerSentEvent.comment("heartbeat")))
                    }
                }
            }
        } onGracefulShutdown: {
            // Open streams would otherwise hold the server's shutdown forever.
            output.finish()
        }
        try await writer.finish(nil)
    }
}
