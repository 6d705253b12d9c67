import Foundation

/// How each cost of `serin-bench kube` grows from one size to the next: the
/// log-log slope between consecutive sizes (1: linear, 0: constant, 2:
/// quadratic) and the per-Canary figures side by side.
enum KubeGrowth {
    static func summary(_ reports: [[String: Any]]) -> [String: Any] {
        let sizes = reports.compactMap { $0["canaries"] as? Int }
        func figure(_ report: [String: Any], _ path: [String]) -> Double? {
            var value: Any? = report
            for key in path { value = (value as? [String: Any])?[key] }
            return (value as? Double) ?? (value as? Int).map(Double.init)
        }
        let costs: [(String, [String])] = [
            ("initialize_operator_cpu_s", ["initialize", "operator_cpu_s"]),
            ("initialize_requests", ["initialize", "requests"]),
            ("steady_operator_cpu_ms_per_interval", ["steady", "operator_cpu_ms_per_interval"]),
            ("steady_serin_requests", ["steady", "serin_requests"]),
            ("steady_operator_rss_mb_mean", ["steady", "operator_rss_mb_mean"]),
            ("release_operator_cpu_s", ["release", "operator_cpu_s"]),
        ]
        var growth: [String: Any] = [:]
        for (name, path) in costs {
            let values = reports.map { figure($0, path) ?? 0 }
            var slopes: [Double] = []
            for index in values.indices.dropFirst() where values[index] > 0 && values[index - 1] > 0 {
                let slope = log(values[index] / values[index - 1]) / log(Double(sizes[index]) / Double(sizes[index - 1]))
                slopes.append((slope * 100).rounded() / 100)
            }
            growth[name] = ["values": values, "log_log_slopes": slopes]
        }
        return ["benchmark": "kube-growth", "canaries": sizes, "growth": growth]
    }
}
