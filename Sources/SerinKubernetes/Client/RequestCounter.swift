import NIOConcurrencyHelpers

/// How many HTTP requests a client sent, by verb: benchmarks read it to
/// show requests per tick, tests to show an idle informer sends none.
/// Retries count; a watch counts once however long it streams.
public final class RequestCounter: Sendable {
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        public var byVerb: [String: Int] = [:]

        public init() {}

        public var total: Int { byVerb.values.reduce(0, +) }

        public subscript(verb: String) -> Int { byVerb[verb, default: 0] }

        /// What was sent between `earlier` and this count.
        public func since(_ earlier: Counts) -> Counts {
            var delta = Counts()
            for (verb, count) in byVerb where count != earlier[verb] { delta.byVerb[verb] = count - earlier[verb] }
            return delta
        }

        public var description: String {
            "\(total) (" + byVerb.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
    }

    private let counts = NIOLockedValueBox(Counts())

    public init() {}

    func record(_ verb: String) {
        counts.withLockedValue { $0.byVerb[verb, default: 0] += 1 }
    }

    public var current: Counts { counts.withLockedValue { $0 } }
}
