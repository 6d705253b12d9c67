import NIOConcurrencyHelpers

/// The resource lists already asked for, by group/version: discovery
/// answers change only when CRDs come and go.
final class DiscoveryCache: Sendable {
    private let lists = NIOLockedValueBox([String: [APIResource]]())

    subscript(groupVersion: String) -> [APIResource]? {
        get { lists.withLockedValue { $0[groupVersion] } }
        set { lists.withLockedValue { $0[groupVersion] = newValue } }
    }
}
