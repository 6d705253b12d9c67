/// A failed call to the apiserver. `status` is the HTTP status when the
/// apiserver answered (404, 409, 410, 422, 429, ...) and `reason`/`message`
/// are from its `Status` body; transport, decoding and configuration
/// failures carry no status.
public struct KubeError: Error, Sendable, CustomStringConvertible {
    private enum Base: Sendable, Hashable {
        case apiserver
        case transport
        case decoding
        case encoding
        case configuration
    }

    private let base: Base
    /// The HTTP status of the answer (or the `code` of a watch ERROR event).
    public let status: Int?
    /// The apiserver's `Status.reason`, e.g. "NotFound", "Conflict", "Expired".
    public let reason: String?
    public let message: String
    /// What was asked, e.g. "GET /api/v1/namespaces/a/configmaps/b".
    public let request: String?
    /// Seconds the apiserver asked to wait (429, some 5xx).
    public let retryAfterSeconds: Int?

    private init(base: Base, status: Int? = nil, reason: String? = nil, message: String, request: String? = nil,
                 retryAfterSeconds: Int? = nil) {
        self.base = base
        self.status = status
        self.reason = reason
        self.message = message
        self.request = request
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func apiserver(status: Int, body: KubeStatus?, rawBody: String, request: String, retryAfterSeconds: Int? = nil) -> KubeError {
        let message = body?.message ?? (rawBody.isEmpty ? "HTTP \(status)" : String(rawBody.prefix(500)))
        return KubeError(base: .apiserver, status: status, reason: body?.reason, message: message, request: request,
                         retryAfterSeconds: retryAfterSeconds ?? body?.details?.retryAfterSeconds)
    }

    static func watchStatus(_ status: KubeStatus, request: String) -> KubeError {
        KubeError(base: .apiserver, status: status.code, reason: status.reason, message: status.message ?? "watch error",
                  request: request)
    }

    static func transport(_ message: String, request: String?) -> KubeError {
        KubeError(base: .transport, message: message, request: request)
    }

    static func decoding(_ message: String, request: String?) -> KubeError {
        KubeError(base: .decoding, message: message, request: request)
    }

    static func encoding(_ message: String) -> KubeError {
        KubeError(base: .encoding, message: message)
    }

    static func configuration(_ message: String) -> KubeError {
        KubeError(base: .configuration, message: message)
    }

    public var isNotFound: Bool { status == 404 }
    public var isAlreadyExists: Bool { status == 409 && reason == "AlreadyExists" }
    /// A write based on a stale resourceVersion.
    public var isConflict: Bool { status == 409 && reason != "AlreadyExists" }
    /// 410: the resourceVersion of a watch or a continue token is too old.
    public var isGone: Bool { status == 410 || reason == "Expired" || reason == "Gone" }
    public var isInvalid: Bool { status == 422 }
    public var isTooManyRequests: Bool { status == 429 }
    public var isServerError: Bool { (status ?? 0) >= 500 }
    /// No answer came: connection refused or reset, TLS failure, timeout.
    public var isTransport: Bool { base == .transport }
    public var isDecoding: Bool { base == .decoding }
    public var isConfiguration: Bool { base == .configuration }

    public var description: String {
        var text = request.map { "\($0): " } ?? ""
        if let status { text += "\(status) " }
        if let reason { text += "\(reason): " }
        return text + message
    }
}
