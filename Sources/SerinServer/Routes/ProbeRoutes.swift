import Hummingbird
import SerinEngine

/// `/metrics`, `/healthz` and `/readyz`: what Prometheus and a supervisor read.
struct ProbeRoutes: Sendable {
    let control: any OperatorControl

    func register(on router: Router<some RequestContext>) {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: await control.metricsText())))
        }
        // Alive as long as it answers: liveness must not depend on Git or Prometheus.
        router.get("/healthz") { _, _ in
            Self.text("ok")
        }
        router.get("/readyz") { _, _ in
            await control.isReady() ? Self.text("ready") : Self.text("not ready: state not loaded or a source not synced yet", status: .serviceUnavailable)
        }
    }

    private static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
