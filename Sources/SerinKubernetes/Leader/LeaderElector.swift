import Foundation
import Logging

/// One active operator among replicas, with a coordination.k8s.io/v1 Lease
/// as client-go's leaderelection keeps it: a candidate takes the lease when
/// its holder has not renewed it for `leaseDuration` (measured on the
/// candidate's own clock from when it saw the record change, so clocks need
/// not agree); the holder renews every `retryPeriod` and stops acting once
/// `renewDeadline` passes without a renewal, before anyone else may take it.
/// Writes are updates at the resourceVersion read: of two candidates, one wins.
public actor LeaderElector {
    public struct Timing: Sendable {
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        /// client-go's defaults for controllers: 15 s, 10 s, 2 s.
        public init(leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    public nonisolated let identity: String
    public nonisolated let name: String
    public nonisolated let namespace: String
    private let client: KubeClient
    /// Made by `init(config:)`, closed by `shutdown()`.
    private let ownsClient: Bool
    private let timing: Timing
    private let logger: Logger
    /// The record last seen and when (this process's clock).
    private var observed: (spec: Lease.Spec?, at: ContinuousClock.Instant)?
    /// The lease as this process last wrote it while holding it: a renewal
    /// is one update at its resourceVersion, with no read before it.
    private var held: Lease?

    /// An elector on `client`. The renewals wait for a connection in its
    /// pool like any other call: give it a client nothing else floods
    /// (`init(config:)` makes one).
    public init(client: KubeClient, name: String = "serin-leader", namespace: String, identity: String, timing: Timing = Timing(),
                logger: Logger = Logger(label: "serin.leader")) {
        self.init(client: client, ownsClient: false, name: name, namespace: namespace, identity: identity, timing: timing, logger: logger)
    }

    /// An elector with a client (and connections) of its own, so a renewal
    /// never queues behind the operator's requests: sharing the operator's
    /// client, 1,000 Canaries initialising at once put thousands of applies
    /// ahead of the renewals and the leader lost its lease after 83 s
    /// (`serin-bench kube --canaries 1000`). `shutdown()` closes it.
    public init(config: KubeConfig, name: String = "serin-leader", namespace: String, identity: String, timing: Timing = Timing(),
                logger: Logger = Logger(label: "serin.leader")) throws(KubeConfigError) {
        self.init(client: try KubeClient(config: config, logger: logger), ownsClient: true, name: name, namespace: namespace,
                  identity: identity, timing: timing, logger: logger)
    }

    private init(client: KubeClient, ownsClient: Bool, name: String, namespace: String, identity: String, timing: Timing, logger: Logger) {
        self.client = client
        self.ownsClient = ownsClient
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.timing = timing
        self.logger = logger
    }

    /// The requests the elector sent (its own client's, with `init(config:)`).
    public nonisolated var requests: RequestCounter { client.requests }

    /// Closes the client `init(config:)` made; after `release()`.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    /// The Lease lives in `namespace`, which a fresh cluster does not have
    /// (the README's serin.yaml names serin-system): without it every attempt
    /// to take the lease fails with "namespaces not found", for ever. Creates
    /// it when this identity may; otherwise throws `LeaseNamespaceMissing`,
    /// whose message is the command that fixes it, for the caller to stop
    /// on at once rather than retry. Call once before `acquire()`.
    public func ensureNamespace() async throws {
        let namespaces = client.resources(Namespace.self)
        let existing: Result<Namespace?, KubeError>
        do { existing = .success(try await namespaces.getIfPresent(namespace)) } catch { existing = .failure(error) }
        switch existing {
        case .success(_?): return
        // Not readable by this identity (a namespaced Role, which lives in a
        // namespace that exists): nothing to learn here, and a create would
        // be refused whether it exists or not. acquire() says if it is missing.
        case .failure(let error) where error.status == 403: return
        case .failure(let error): throw error
        case .success(nil): break
        }
        let created: Result<Namespace, KubeError>
        do {
            created = .success(try await namespaces.create(Namespace(name: namespace, labels: ["app.kubernetes.io/managed-by": "serin"])))
        } catch {
            created = .failure(error)
        }
        switch created {
        case .success:
            logger.notice("created namespace \(namespace) for the leader election lease", metadata: ["lease": "\(namespace)/\(name)"])
        case .failure(let error) where error.isAlreadyExists:
            return
        case .failure(let error) where error.status == 403:
            throw LeaseNamespaceMissing(namespace: namespace, lease: name, reason: error.description)
        case .failure(let error):
            throw error
        }
    }

    /// Until this process holds the lease (or the task is cancelled).
    public func acquire() async throws {
        logger.info("waiting for the lease", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
        while try await !tryAcquireOrRenew() {
            try await Task.sleep(for: timing.retryPeriod)
        }
        logger.info("leading", metadata: ["lease": "\(namespace)/\(name)", "identity": "\(identity)"])
    }

    /// Renews the lease every `retryPeriod`; returns when it is lost (no
    /// renewal within `renewDeadline`, or someone else holds it) or the task
    /// is cancelled.
    public func holdUntilLost() async {
        while !Task.isCancelled {
            let deadline = ContinuousClock.now + timing.renewDeadline
            var renewed = false
            while !renewed && ContinuousClock.now < deadline && !Task.isCancelled {
                renewed = await attempt(until: deadline)
                if !renewed { try? await Task.sleep(for: min(timing.retryPeriod, deadline - ContinuousClock.now)) }
            }
            guard renewed else {
                if !Task.isCancelled { logger.error("lost the lease: not renewed within \(timing.renewDeadline)", metadata: ["lease": "\(namespace)/\(name)"]) }
                return
            }
            try? await Task.sleep(for: timing.retryPeriod)
        }
    }

    /// One renewal, given up at `deadline`: a request waiting for a
    /// connection or an answer may take the client's whole request timeout
    /// (30 s), longer than the lease (client-go bounds it by the renew
    /// deadline too). Given up, it is a failed renewal; the update may
    /// still land, and the next attempt reads the lease afresh.
    private func attempt(until deadline: ContinuousClock.Instant) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    return try await self.tryAcquireOrRenew()
                } catch {
                    self.logger.warning("the lease was not renewed: \(error)", metadata: ["lease": "\(self.namespace)/\(self.name)"])
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? false
        }
    }

    /// Gives the lease up (a clean shutdown), so a standby takes over at once.
    public func release() async {
        let leases = client.resources(Lease.self)
        do {
            held = nil
            guard var lease = try await leases.getIfPresent(name, namespace: namespace), lease.spec?.holderIdentity == identity else { return }
            lease.spec?.holderIdentity = ""
            lease.spec?.leaseDurationSeconds = 1
            lease.spec?.renewTime = Self.microTime(Date())
            _ = try await leases.update(lease)
        } catch {
            logger.warning("the lease was not given up: \(error)")
        }
    }

    /// One attempt; true when this process holds the lease afterwards.
    func tryAcquireOrRenew() async throws -> Bool {
        let leases = client.resources(Lease.self)
        let now = Self.microTime(Date())
        let seconds = Int32(timing.leaseDuration.components.seconds)
        if var renewal = held {
            held = nil
            renewal.spec?.renewTime = now
            do {
                let updated = try await leases.update(renewal)
                observed = (updated.spec, .now)
                held = updated
                return true
            } catch {
                // Written by someone else since (or not reachable): read it afresh below.
                if !error.isConflict { throw error }
            }
        }
        do {
            guard var lease = try await leases.getIfPresent(name, namespace: namespace) else {
                let spec = Lease.Spec(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0)
                let created = try await leases.create(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec))
                observed = (created.spec, .now)
                held = created
                return true
            }
            let spec = lease.spec ?? Lease.Spec()
            if observed?.spec != spec { observed = (spec, .now) }
            let holder = spec.holderIdentity ?? ""
            if !holder.isEmpty && holder != identity {
                let duration = Duration.seconds(Int(spec.leaseDurationSeconds ?? seconds))
                if let seen = observed?.at, seen + duration > .now { return false }
            }
            var next = spec
            if holder != identity {
                next.holderIdentity = identity
                next.acquireTime = now
                next.leaseTransitions = (spec.leaseTransitions ?? 0) + (holder.isEmpty ? 0 : 1)
            }
            next.renewTime = now
            next.leaseDurationSeconds = seconds
            lease.spec = next
            let updated = try await leases.update(lease)
            observed = (updated.spec, .now)
            held = updated
            return true
        } catch {
            // Someone else wrote it first: they lead, or the next attempt reads their record.
            if error.isConflict { return false }
            throw error
        }
    }

    /// RFC 3339 with microseconds, as the apiserver's MicroTime.
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        var time = tm()
        var t = time_t(whole)
        gmtime_r(&t, &time)
        let micros = Int((seconds - whole) * 1_000_000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(time.tm_year) + 1900, Int(time.tm_mon) + 1, Int(time.tm_mday),
                      Int(time.tm_hour), Int(time.tm_min), Int(time.tm_sec), micros)
    }
}

/// The leader election Lease's namespace does not exist, and this identity
/// may not create it: nothing but a person can fix that, so the operator
/// stops instead of retrying.
public struct LeaseNamespaceMissing: Error, CustomStringConvertible {
    public let namespace: String
    public let lease: String
    public let reason: String

    public var description: String {
        "namespace \(namespace), where the leader election Lease \(lease) lives, does not exist and Serin may not create it (\(reason)): "
            + "run `kubectl create namespace \(namespace)`, or set kubernetes.namespace in serin.yaml to a namespace that exists"
    }
}
