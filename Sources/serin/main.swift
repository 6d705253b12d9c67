import ArgumentParser
import Foundation

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
