import Dispatch

/// A serial queue of its own for libgit2 work: a slow fetch blocks this
/// queue's thread, never the cooperative pool that runs Serin's tasks, and
/// libgit2's per-thread error is read on the thread that set it.
public final class GitThread: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: "serin.git.\(label)")
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
