import Foundation

/// Why the supervisor could not do what it was asked; the message says what
/// failed and what to do about it.
public struct SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    static func system(_ action: String, _ code: Int32 = errno) -> SupervisorError {
        SupervisorError("\(action): \(String(cString: strerror(code)))")
    }
}
