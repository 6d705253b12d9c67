import ArgumentParser
import Foundation

// A parent may have blocked SIGTERM and SIGINT (a test runner does, and
// children inherit it through exec). Serin's graceful shutdown listens for
// them, so unblock them before any thread exists: threads inherit this mask.
var shutdownSignals = sigset_t()
sigemptyset(&shutdownSignals)
sigaddset(&shutdownSignals, SIGTERM)
sigaddset(&shutdownSignals, SIGINT)
pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)

// Usage errors exit 2, as the contract says; ArgumentParser's own
// code for them is 64.
do {
    var command = try SerinCommand.parseAsRoot()
    if let asyncCommand = command as? any AsyncRunnable {
        try await asyncCommand.run()
    } else {
        try command.run()
    }
} catch {
    let code = SerinCommand.exitCode(for: error)
    let message = SerinCommand.fullMessage(for: error)
    if code == .success {
        if !message.isEmpty { print(message) }
        exit(0)
    }
    if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    exit(code == .validationFailure ? 2 : code.rawValue)
}
