/// Request counts and latency histograms of one workload, kept by one event
/// loop and touched only on it: plain integers, no locks or atomics on the
/// hot path. A scrape asks each loop for a snapshot and adds them up.
///
/// Series are per role and revision, so a release is judged on its own
/// answers only. When a role starts serving another revision, the old
/// revision's series stop growing; the last few are still exported, and one
/// that comes back (a canary promoted, a revert) continues where it was.
final class WorkloadStats {
    private(set) var primary = RoleStats()
    private(set) var canary = RoleStats()
    private(set) var primaryRevision = ""
    private(set) var canaryRevision = ""
    private var earlier: [(key: SeriesKey, stats: RoleStats)] = []
    /// Revisions no longer served whose series are still exported.
    static let earlierKept = 8

    func record(_ role: Role, status: Int, seconds: Double) {
        switch role {
        case .primary: primary.record(status: status, seconds: seconds)
        case .canary: canary.record(status: status, seconds: seconds)
        }
    }

    /// The revisions the table says each role serves now.
    func serve(primary newPrimary: String, canary newCanary: String) {
        if newPrimary != primaryRevision {
            retire(SeriesKey(role: .primary, revision: primaryRevision), primary)
            primary = resume(SeriesKey(role: .primary, revision: newPrimary))
            primaryRevision = newPrimary
        }
        if newCanary != canaryRevision {
            retire(SeriesKey(role: .canary, revision: canaryRevision), canary)
            canary = resume(SeriesKey(role: .canary, revision: newCanary))
            canaryRevision = newCanary
        }
    }

    private func retire(_ key: SeriesKey, _ stats: RoleStats) {
        guard stats.count > 0 else { return }
        earlier.append((key, stats))
        if earlier.count > Self.earlierKept { earlier.removeFirst(earlier.count - Self.earlierKept) }
    }

    private func resume(_ key: SeriesKey) -> RoleStats {
        guard let index = earlier.firstIndex(where: { $0.key == key }) else { return RoleStats() }
        return earlier.remove(at: index).stats
    }

    var snapshot: WorkloadStatsSnapshot {
        var series: [SeriesKey: RoleStats] = [:]
        for (key, stats) in earlier { series[key] = stats }
        series[SeriesKey(role: .primary, revision: primaryRevision)] = primary
        series[SeriesKey(role: .canary, revision: canaryRevision)] = canary
        return WorkloadStatsSnapshot(series: series)
    }
}

/// One series of a workload: the role and the revision that answered.
struct SeriesKey: Hashable, Sendable, Comparable {
    var role: Role
    var revision: String

    static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        (lhs.role.rawValue, lhs.revision) < (rhs.role.rawValue, rhs.revision)
    }
}

public enum Role: String, Sendable, Codable, CaseIterable {
    case primary, canary
}

struct RoleStats: Sendable, Equatable {
    /// Prometheus' default buckets, with more between 100 ms and 1 s where a
    /// slow canary shows.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10]

    /// Status code → requests. Few distinct codes appear, so a small array
    /// searched linearly beats a dictionary.
    var codes: [(code: Int, count: UInt64)] = []
    var buckets = [UInt64](repeating: 0, count: RoleStats.bounds.count)
    var sum: Double = 0
    var count: UInt64 = 0

    mutating func record(status: Int, seconds: Double) {
        if let index = codes.firstIndex(where: { $0.code == status }) {
            codes[index].count += 1
        } else {
            codes.append((status, 1))
        }
        count += 1
        sum += seconds
        // Non-cumulative here; rendering accumulates.
        var index = 0
        while index < Self.bounds.count, seconds > Self.bounds[index] { index += 1 }
        if index < buckets.count { buckets[index] += 1 }
    }

    mutating func add(_ other: RoleStats) {
        for (code, count) in other.codes {
            if let index = codes.firstIndex(where: { $0.code == code }) { codes[index].count += count } else { codes.append((code, count)) }
        }
        for index in buckets.indices { buckets[index] += other.buckets[index] }
        sum += other.sum
        count += other.count
    }

    static func == (lhs: RoleStats, rhs: RoleStats) -> Bool {
        lhs.codes.map(\.code) == rhs.codes.map(\.code) && lhs.codes.map(\.count) == rhs.codes.map(\.count)
            && lhs.buckets == rhs.buckets && lhs.sum == rhs.sum && lhs.count == rhs.count
    }
}

struct WorkloadStatsSnapshot: Sendable {
    var series: [SeriesKey: RoleStats]

    mutating func add(_ other: WorkloadStatsSnapshot) {
        for (key, stats) in other.series {
            if series[key] == nil { series[key] = stats } else { series[key]!.add(stats) }
        }
    }

    /// The series to export: each revision that answered, and a role
    /// nothing answered for yet at zero (its histogram reads 0, not absent).
    var exported: [(key: SeriesKey, stats: RoleStats)] {
        var result = series.filter { $0.value.count > 0 }
        for role in Role.allCases where !result.keys.contains(where: { $0.role == role }) {
            if let idle = series.filter({ $0.key.role == role }).min(by: { $0.key < $1.key }) { result[idle.key] = idle.value }
        }
        return result.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// Prometheus text exposition of the router's metrics.
enum MetricsText {
    static func render(_ stats: [String: WorkloadStatsSnapshot], table: RouteTable, mirrored: [String: UInt64]) -> String {
        var out = """
        # HELP serin_router_requests_total Requests answered by the router, by workload, backend role, the revision that answered and status code.
        # TYPE serin_router_requests_total counter

        """
        let workloads = stats.keys.sorted()
        for workload in workloads {
            for (key, roleStats) in stats[workload]!.exported {
                for (code, count) in roleStats.codes.sorted(by: { $0.code < $1.code }) {
                    out += "serin_router_requests_total{workload=\"\(workload)\",role=\"\(key.role.rawValue)\",revision=\"\(key.revision)\",code=\"\(code)\"} \(count)\n"
                }
            }
        }
        out += """
        # HELP serin_router_request_duration_seconds Time from a request's head to the end of its response.
        # TYPE serin_router_request_duration_seconds histogram

        """
        for workload in workloads {
            for (key, roleStats) in stats[workload]!.exported {
                let labels = "workload=\"\(workload)\",role=\"\(key.role.rawValue)\",revision=\"\(key.revision)\""
                var cumulative: UInt64 = 0
                for (index, bound) in RoleStats.bounds.enumerated() {
                    cumulative += roleStats.buckets[index]
                    out += "serin_router_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "serin_router_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(roleStats.count)\n"
                out += "serin_router_request_duration_seconds_sum{\(labels)} \(roleStats.sum)\n"
                out += "serin_router_request_duration_seconds_count{\(labels)} \(roleStats.count)\n"
            }
        }
        out += """
        # HELP serin_router_mirrored_requests_total Requests copied to the canary.
        # TYPE serin_router_mirrored_requests_total counter

        """
        for workload in mirrored.keys.sorted() {
            out += "serin_router_mirrored_requests_total{workload=\"\(workload)\"} \(mirrored[workload]!)\n"
        }
        out += """
        # HELP serin_router_canary_weight Percent of requests the routing table sends to the canary.
        # TYPE serin_router_canary_weight gauge

        """
        for route in table.routes.sorted(by: { $0.workload < $1.workload }) {
            out += "serin_router_canary_weight{workload=\"\(route.workload)\"} \(route.canaryWeight)\n"
        }
        out += """
        # HELP serin_router_table_version Version of the routing table in force.
        # TYPE serin_router_table_version gauge
        serin_router_table_version \(table.version)

        """
        return out
    }
}
