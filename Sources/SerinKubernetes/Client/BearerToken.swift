import Foundation
import NIOConcurrencyHelpers

/// The token sent as `Authorization: Bearer`. A token from a file is read
/// again at most once a minute, and at once after a 401: bound
/// service-account tokens are rotated by the kubelet (about hourly) and
/// the old one stops working.
final class BearerToken: Sendable {
    private struct FileState {
        var token: String?
        var readAt: ContinuousClock.Instant?
    }

    private let fixed: String?
    private let file: String?
    private let rereadInterval: Duration
    private let state = NIOLockedValueBox(FileState())

    init(token: String?, file: String?, rereadInterval: Duration = .seconds(60)) {
        fixed = token.flatMap { $0.isEmpty ? nil : $0 }
        self.file = file
        self.rereadInterval = rereadInterval
    }

    var isRotating: Bool { file != nil }

    /// The token to send now, nil when the configuration has none.
    func current(now: ContinuousClock.Instant = .now) -> String? {
        guard let file else { return fixed }
        return state.withLockedValue { state in
            if let readAt = state.readAt, now - readAt < rereadInterval, state.token != nil { return state.token }
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                state.token = token.isEmpty ? state.token : token
            }
            // A file that cannot be read keeps the last token rather than none.
            state.readAt = now
            return state.token ?? fixed
        }
    }

    /// The apiserver refused the token: read the file again on the next request.
    func invalidate() {
        state.withLockedValue { $0.readAt = nil }
    }
}
