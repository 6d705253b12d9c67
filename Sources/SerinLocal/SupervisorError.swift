import Foundation

/// Why the supervisor could not do what it was asked; the message says what
/// failed and what to do about it.
public struct SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// The process cannot be started as its template says (no such
    /// command, no working directory): trying again will not help.
    public let cannotStart: Bool

    init(_ description: String, cannotStart: Bool = false) {
        self.description = description
        self.cannotStart = cannotStart
    }

    static func system(_ action: String, _ code: Int32 = errno) -> SupervisorError {
        SupervisorError("\(action): \(String(cString: strerror(code)))")
    }
}
