import ArgumentParser
import Dispatch
import Foundation
import NIOCore
import SerinRouter
import SerinSpec

struct RouterCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "router",
        abstract: "Run Serin's HTTP router: per workload a listener that splits traffic between primary and canary.",
        discussion: """
        The routing table comes from --config, from the table a previous run saved in --state-dir, \
        or later through the control socket (GET/PUT /routes as JSON). /metrics and /healthz are served on the admin address.
        """
    )

    @Option(help: "A YAML file: admin.listen, control, threads, timeouts and routes.")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Keeps the table in force (router-table.json) and the control socket (router.sock).")
    var stateDir: String?

    @Option(help: "host:port for /metrics and /healthz (overrides admin.listen).")
    var admin: String?

    @Option(help: "The control socket's path (default: STATE_DIR/router.sock).")
    var control: String?

    func run() async throws {
        var file = RouterFile()
        var table: RouteTable?
        if let config {
            guard let loaded = RouterFile.load(config) else { throw ExitCode(ExitStatus.invalid) }
            file = loaded
            table = RouteTable(version: loaded.version ?? 1, routes: loaded.routes ?? [])
        }
        var options = RouterOptions()
        if let threads = file.threads { options.threads = threads }
        if let timeout = file.timeouts?.connect.flatMap(GoDuration.parse) { options.connectTimeout = .init(timeout) }
        if let timeout = file.timeouts?.response.flatMap(GoDuration.parse) { options.responseTimeout = .init(timeout) }
        if let timeout = file.timeouts?.idle.flatMap(GoDuration.parse) { options.idleTimeout = .init(timeout) }

        let stateDir = self.stateDir.map { URL(fileURLWithPath: $0) }
        if let stateDir { try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true) }
        let server = RouterServer(options: options, tableFile: stateDir?.appendingPathComponent("router-table.json"))
        do {
            try await server.restoreSavedTable()
            if let table, table.version >= (await server.currentTable.version) {
                try await server.apply(table, force: true)
            }
        } catch {
            fail("serin router: \(error)")
            await server.shutdown()
            throw ExitCode(ExitStatus.invalid)
        }
        var channels: [any Channel] = []
        do {
            if let address = admin ?? file.admin?.listen {
                channels.append(try await AdminServer.listen(server, tcp: address))
            }
            if let socket = control ?? file.control ?? stateDir?.appendingPathComponent("router.sock").path {
                channels.append(try await AdminServer.listen(server, unixSocket: socket))
            }
        } catch {
            fail("serin router: cannot listen: \(error)")
            await server.shutdown()
            throw ExitCode(ExitStatus.ioOrUsage)
        }
        let routes = await server.currentTable.routes
        fail("serin router: serving \(routes.count) route(s), table version \(await server.currentTable.version)")
        for (workload, reason) in await server.refused.sorted(by: { $0.key < $1.key }) {
            fail("serin router: \(workload) cannot listen on \(reason); trying again")
        }
        // Refused listeners are bound again until the signal.
        await withDiscardingTaskGroup { group in
            group.addTask { await server.run() }
            await Self.waitForTermination()
            group.cancelAll()
        }
        for channel in channels { try? await channel.close() }
        await server.shutdown()
    }

    /// SIGTERM or SIGINT; the data plane's connections close with the process.
    static func waitForTermination() async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        // main.swift unblocked both before any thread started.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "serin.signals")
            let once = SignalOnce(continuation)
            for signalNumber in [SIGTERM, SIGINT] {
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { once.fire() }
                source.resume()
                once.keep(source)
            }
        }
    }

    private func fail(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// Resumes a continuation once, from the signal queue only.
private final class SignalOnce: @unchecked Sendable {
    // Safe: touched only on the serial signal queue (and before it starts).
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) { sources.append(source) }

    func fire() {
        continuation?.resume()
        continuation = nil
    }
}

/// `serin router --config` file.
struct RouterFile: Decodable, Sendable {
    struct Admin: Decodable, Sendable { var listen: String? }
    struct Timeouts: Decodable, Sendable {
        var connect: String?
        var response: String?
        var idle: String?
    }

    var admin: Admin?
    var control: String?
    var threads: Int?
    var timeouts: Timeouts?
    var version: Int?
    var routes: [Route]?

    /// Nil after printing every problem with its file:line:column.
    static func load(_ path: String) -> RouterFile? {
        let decoded = ConfigFile.decode(RouterFile.self, contentsOf: path)
        var diagnostics = decoded.diagnostics
        if let file = decoded.value, decoded.errors.isEmpty {
            for (field, text) in [("timeouts.connect", file.timeouts?.connect), ("timeouts.response", file.timeouts?.response),
                                  ("timeouts.idle", file.timeouts?.idle)] {
                if let text, GoDuration.parse(text).map({ $0 > .zero }) != true {
                    diagnostics.append(.error(at: decoded.source.position(field), "\(field): \"\(text)\" is not a positive duration (such as 3s)"))
                }
            }
            if let threads = file.threads, !(1...64).contains(threads) {
                diagnostics.append(.error(at: decoded.source.position("threads"), "threads: \(threads) is not between 1 and 64"))
            }
            do {
                try RouteTable(version: file.version ?? 1, routes: file.routes ?? []).validate()
            } catch {
                diagnostics.append(.error(at: decoded.source.position(error.path), "\(error.path): \(error.message)"))
            }
        }
        for diagnostic in diagnostics.sortedByPosition() {
            FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
        }
        return diagnostics.hasErrors ? nil : decoded.value
    }
}
