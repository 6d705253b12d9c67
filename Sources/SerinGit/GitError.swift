import CLibGit2

/// A failed Git operation: what Serin was doing, and libgit2's own message.
/// Cases can be added without breaking callers.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Kind: Hashable, Sendable {
        fileprivate enum Base: Hashable, Sendable {
            case libgit2(code: Int32)
            case authentication
            case hostKey
            case refNotFound
            case invalidURL
            case invalidReference
            case credentials
            case timeout
            case snapshot
            case refusedTree
        }

        fileprivate let base: Base

        public static let authentication = Kind(base: .authentication)
        public static let hostKey = Kind(base: .hostKey)
        public static let refNotFound = Kind(base: .refNotFound)
        public static let invalidURL = Kind(base: .invalidURL)
        public static let invalidReference = Kind(base: .invalidReference)
        public static let credentials = Kind(base: .credentials)
        public static let timeout = Kind(base: .timeout)
        /// A revision snapshot could not be written.
        public static let snapshot = Kind(base: .snapshot)
        /// A commit holds what Serin never reads or writes: an entry named
        /// `..` or `.git`, a link out of the tree, a blob or tree over the limits.
        public static let refusedTree = Kind(base: .refusedTree)
        static func libgit2(_ code: Int32) -> Kind { Kind(base: .libgit2(code: code)) }
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The last error libgit2 recorded on this thread. Read it right after
    /// the failing call: it is per thread and the next call may replace it.
    static func last(_ code: Int32, doing action: String) -> GitError {
        let detail = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "error \(code)"
        if code == GIT_EAUTH.rawValue {
            return GitError(.authentication, "\(action): authentication failed: \(detail)")
        }
        return GitError(.libgit2(code), "\(action): \(detail)")
    }
}

/// Calls a libgit2 function and turns a negative result into a thrown error.
@discardableResult
func git(_ action: @autoclosure () -> String, _ call: () -> Int32) throws -> Int32 {
    let code = call()
    if code < 0 { throw GitError.last(code, doing: action()) }
    return code
}
