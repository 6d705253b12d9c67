import Foundation
import SerinKubernetes
import Synchronization

/// Whether a cluster's apiserver answers, as a source's waves need to
/// know it: a wave whose cluster cannot be reached waits for it (it is
/// never skipped) and says why. Learnt from a light probe (`GET /version`,
/// one attempt, a short deadline) at an interval, and from the driver's
/// own start.
final class ClusterReachability: Sendable {
    private struct State {
        /// Why it cannot be reached, and since when; nil while it answers.
        var problem: (reason: String, since: Date)?
        /// It answered at least once since the operator started.
        var answered = false
    }

    let cluster: String
    private let state = Mutex(State())
    /// A value each time the cluster answers again after it could not be reached.
    let returns: AsyncStream<Void>
    private let returned: AsyncStream<Void>.Continuation

    init(cluster: String) {
        self.cluster = cluster
        (returns, returned) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    deinit {
        returned.finish()
    }

    /// Why the cluster cannot be reached, or nil while it answers.
    var unreachable: String? {
        state.withLock { state in
            state.problem.map { "cluster \(cluster) cannot be reached (since \(Self.clock($0.since))): \($0.reason)" }
        }
    }

    var hasAnswered: Bool { state.withLock { $0.answered } }

    func answered() {
        let back = state.withLock { state in
            defer {
                state.problem = nil
                state.answered = true
            }
            return state.problem != nil
        }
        if back { returned.yield() }
    }

    func failed(_ reason: String) {
        state.withLock { state in
            // The first failure's time stays: how long it has been out.
            state.problem = (reason, state.problem?.since ?? Date())
        }
    }

    /// Until cancelled: the probe every `interval`.
    func run(config: KubeConfig, interval: Duration = .seconds(5)) async {
        let client: KubeClient
        do {
            client = try KubeClient(config: config, retryPolicy: .none, requestTimeout: .seconds(5))
        } catch {
            failed("\(error)")
            return
        }
        while !Task.isCancelled {
            do {
                _ = try await client.serverVersion()
                answered()
            } catch {
                if Task.isCancelled { break }
                failed(Self.oneLine("\(error)"))
            }
            do { try await Task.sleep(for: interval) } catch { break }
        }
        try? await client.shutdown()
    }

    static func oneLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).first ?? "")
    }

    private static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss'Z'"
        return formatter.string(from: date)
    }
}
