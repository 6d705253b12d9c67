/// How much of a commit Serin reads: a blob (or tree object) larger than
/// `maxFileBytes`, or a walk over more than `maxEntries` entries, refuses
/// the commit before any of it is loaded (`sources[].limits` in serin.yaml).
public struct GitTreeLimits: Sendable, Hashable {
    public static let defaultMaxFileBytes = 8 << 20
    public static let defaultMaxEntries = 100_000

    public var maxFileBytes: Int
    public var maxEntries: Int
    /// Folders inside folders; deeper trees are refused (each level holds a
    /// descriptor while a snapshot is written).
    public var maxDepth: Int

    public init(maxFileBytes: Int = defaultMaxFileBytes, maxEntries: Int = defaultMaxEntries, maxDepth: Int = 64) {
        self.maxFileBytes = maxFileBytes
        self.maxEntries = maxEntries
        self.maxDepth = maxDepth
    }
}
