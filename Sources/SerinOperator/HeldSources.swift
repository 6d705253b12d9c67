import Synchronization

/// The sources held by `serin suspend` (or `suspend: true`): the drift
/// watch leaves their objects as they are. Shared by reference between
/// the driver and the watch's closure.
final class HeldSources: Sendable {
    private let names = Mutex<Set<String>>([])

    func set(_ source: String, held: Bool) {
        names.withLock { names in
            if held { names.insert(source) } else { names.remove(source) }
        }
    }

    func contains(_ source: String?) -> Bool {
        guard let source else { return false }
        return names.withLock { $0.contains(source) }
    }
}
