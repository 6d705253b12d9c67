import Foundation

/// One operator per state directory: `serin run` holds an exclusive `flock`
/// on `<stateDir>/operator.lock` while it runs, with its pid written inside
/// so that whoever it refuses can name it. The kernel drops the lock when
/// the process ends, even by SIGKILL, so a crash never leaves it behind;
/// the descriptor is close-on-exec, so workloads and the router never hold it.
public final class StateDirectoryLock: Sendable {
    /// The lock is someone else's, or could not be taken at all.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        /// The pid of the process holding the lock; nil when it is not known.
        public let holder: Int32?
        public let description: String
    }

    private let descriptor: Int32

    /// Takes the lock, creating the state directory if it is new.
    public init(stateDirectory: String) throws(Refusal) {
        let path = stateDirectory + "/operator.lock"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw Refusal(holder: nil, description: "cannot create \(stateDirectory): \(error.localizedDescription)")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Refusal(holder: nil, description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw Refusal(holder: nil, description: "cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            let holder = Self.holder(path)
            throw Refusal(holder: holder, description: "\(stateDirectory) is in use by \(holder.map { "the operator pid \($0)" } ?? "another operator")")
        }
        let pid = Array("\(getpid())\n".utf8)
        guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, pid, pid.count, 0) == pid.count else {
            let failure = errno
            close(descriptor)
            throw Refusal(holder: nil, description: "cannot write \(path): \(String(cString: strerror(failure)))")
        }
        self.descriptor = descriptor
    }

    /// Gives the lock up before the process ends.
    public func release() {
        close(descriptor)
    }

    /// The pid the holder wrote. It writes it right after it takes the lock,
    /// so an empty file is read again for a moment.
    private static func holder(_ path: String) -> Int32? {
        for _ in 0..<20 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return pid
            }
            usleep(10_000)
        }
        return nil
    }
}
