import Foundation
import SerinSpec

/// Runs kustomize for every source of one operator: the pinned binary
/// found once at start, the sandbox chosen once, a bounded number of builds
/// at once, and their results cached by the content of what they read.
/// One builder is shared by all the sources' renderers.
public actor KustomizeBuilder {
    public struct Limits: Sendable, Hashable {
        /// A build that runs longer is killed and fails.
        public var timeout: Duration
        /// A build that prints more is killed and fails.
        public var outputLimit: Int
        /// Builds running at once; the others wait their turn.
        public var concurrentBuilds: Int
        /// Bytes of built objects kept; the least recently used go first.
        public var cacheCapacity: Int

        public init(timeout: Duration = .seconds(60), outputLimit: Int = 32 << 20, concurrentBuilds: Int = 2,
                    cacheCapacity: Int = 64 << 20) {
            self.timeout = timeout
            self.outputLimit = outputLimit
            self.concurrentBuilds = max(1, concurrentBuilds)
            self.cacheCapacity = cacheCapacity
        }
    }

    /// What the builder did, for tests, the bench and the operator's metrics.
    public struct Statistics: Sendable, Hashable {
        /// kustomize runs.
        public var builds = 0
        /// Renders answered from the cache (or from an identical build in flight).
        public var cacheHits = 0
        /// The most builds that ran at the same time.
        public var mostAtOnce = 0
    }

    public nonisolated let binary: Result<KustomizeBinary, KustomizeUnavailable>
    public nonisolated let sandbox: KustomizeSandbox
    public nonisolated let limits: Limits
    /// Private copies are made here, one folder per build, removed after it.
    nonisolated let scratch: String
    public private(set) var statistics = Statistics()
    private var cache: BuildCache
    private var inFlight: [String: Task<Result<[RenderedText], RenderFailure>, Never>] = [:]
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// `binary` and `sandbox` default to locating the pinned kustomize and
    /// probing for the strongest sandbox that runs it (done once, here).
    public init(binary: Result<KustomizeBinary, KustomizeUnavailable>? = nil, sandbox: KustomizeSandbox? = nil,
                limits: Limits = Limits(), scratch: String? = nil) {
        let binary = binary ?? KustomizeBinary.locate()
        self.binary = binary
        if let sandbox {
            self.sandbox = sandbox
        } else if case .success(let found) = binary {
            self.sandbox = KustomizeSandbox.strongest(for: found)
        } else {
            self.sandbox = .none
        }
        self.limits = limits
        self.scratch = scratch ?? FileManager.default.temporaryDirectory.path
        cache = BuildCache(capacity: limits.cacheCapacity)
    }

    /// The binary, or the one-line error a source that needs it reports.
    nonisolated func requireBinary(for source: String) throws -> KustomizeBinary {
        switch binary {
        case .success(let found): return found
        case .failure(let problem):
            throw RenderFailure(reason: KustomizeRenderer.unavailable, at: SourcePosition(file: source),
                                "\(source) needs kustomize \(KustomizeBinary.pinnedVersion) to build: \(problem.message)")
        }
    }

    /// The build's objects, from the cache when the same inputs were built before.
    func build(_ prepared: PreparedBuild, binary: KustomizeBinary) async throws -> [RenderedText] {
        if let cached = cache.value(for: prepared.key) {
            statistics.cacheHits += 1
            return try cached.get()
        }
        if let running = inFlight[prepared.key] {
            statistics.cacheHits += 1
            return try await running.value.get()
        }
        let task = Task { await self.run(prepared, binary: binary) }
        inFlight[prepared.key] = task
        let result = await task.value
        inFlight[prepared.key] = nil
        // A build killed at its deadline may pass on a quieter machine: not kept.
        if case .failure(let failure) = result, failure.message.contains(Self.timeoutWords) {} else {
            cache.store(result, for: prepared.key, size: Self.size(of: result))
        }
        return try result.get()
    }

    static let timeoutWords = "took longer than"

    private func run(_ prepared: PreparedBuild, binary: KustomizeBinary) async -> Result<[RenderedText], RenderFailure> {
        await acquire()
        defer { release() }
        statistics.builds += 1
        statistics.mostAtOnce = max(statistics.mostAtOnce, running)
        do {
            return .success(try await KustomizeRun(prepared: prepared, binary: binary, sandbox: sandbox, limits: limits, scratch: scratch).perform())
        } catch let failure as RenderFailure {
            return .failure(failure)
        } catch {
            return .failure(RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: prepared.failurePosition),
                                          "kustomize could not run: \(error)"))
        }
    }

    private func acquire() async {
        if running < limits.concurrentBuilds {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    private static func size(of result: Result<[RenderedText], RenderFailure>) -> Int {
        switch result {
        // The positions of an object's fields take about as much as its text.
        case .success(let texts): return texts.reduce(256) { $0 + 2 * $1.yaml.utf8.count }
        case .failure(let failure): return 256 + failure.message.utf8.count
        }
    }
}
