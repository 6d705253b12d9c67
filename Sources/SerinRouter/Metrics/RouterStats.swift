/// Request counts and latency histograms of one workload, kept by one event
/// loop and touched only on it: plain integers, no locks or atomics on the
/// hot path. A scrape asks each loop for a snapshot and adds them up.
final class WorkloadStats {
    var primary = RoleStats()
    var canary = RoleStats()

    func record(_ role: Role, status: Int, seconds: Double) {
        switch role {
        case .primary: primary.record(status: status, seconds: seconds)
        case .canary: canary.record(status: status, seconds: seconds)
        }
    }

    var snapshot: WorkloadStatsSnapshot { WorkloadStatsSnapshot(primary: primary, canary: canary) }
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
    var primary: RoleStats
    var canary: RoleStats

    mutating func add(_ other: WorkloadStatsSnapshot) {
        primary.add(other.primary)
        canary.add(other.canary)
    }
}

/// Prometheus text exposition of the router's metrics.
enum MetricsText {
    static func render(_ stats: [String: WorkloadStatsSnapshot], table: RouteTable, mirrored: [String: UInt64]) -> String {
        var out = """
        # HELP serin_router_requests_total Requests answered by the router, by workload, backend role and status code.
        # TYPE serin_router_requests_total counter

        """
        let workloads = stats.keys.sorted()
        for workload in workloads {
            for role in Role.allCases {
                let roleStats = role == .primary ? stats[workload]!.primary : stats[workload]!.canary
                for (code, count) in roleStats.codes.sorted(by: { $0.code < $1.code }) {
                    out += "serin_router_requests_total{workload=\"\(workload)\",role=\"\(role.rawValue)\",code=\"\(code)\"} \(count)\n"
                }
            }
        }
        out += """
        # HELP serin_router_request_duration_seconds Time from a request's head to the end of its response.
        # TYPE serin_router_request_duration_seconds histogram

        """
        for workload in workloads {
            for role in Role.allCases {
                let roleStats = role == .primary ? stats[workload]!.primary : stats[workload]!.canary
                let labels = "workload=\"\(workload)\",role=\"\(role.rawValue)\""
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
