import ArgumentParser
import Foundation

// Usage errors exit 2, as the contract says; ArgumentParser's own
// code for them is 64.
do {
    var command = try SerinCommand.parseAsRoot()
    if let router = command as? RouterCommand {
        try await router.run()
    } else if let run = command as? RunCommand {
        try await run.run()
    } else if let down = command as? DownCommand {
        try await down.run()
    } else if let demo = command as? DemoCommand {
        try await demo.run()
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
