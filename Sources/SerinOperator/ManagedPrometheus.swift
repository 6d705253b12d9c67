import Foundation
import SerinLocal

/// `prometheus: { managed: true }`: Debian's prometheus, started by Serin in
/// a session of its own (it keeps its data across operator restarts),
/// scraping the router and the operator every second.
public enum ManagedPrometheus {
    public static func process(config: OperatorConfig.Resolved) -> DetachedProcess {
        let directory = config.stateDirectory + "/prometheus"
        return DetachedProcess(name: "prometheus", arguments: [
            "prometheus", "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
            "--web.listen-address=\(config.prometheusListen)", "--storage.tsdb.retention.time=7d", "--log.level=warn",
        ], stateDirectory: config.stateDirectory)
    }

    @discardableResult
    public static func start(config: OperatorConfig.Resolved) throws -> DetachedProcess {
        let process = process(config: config)
        try FileManager.default.createDirectory(atPath: process.directory, withIntermediateDirectories: true)
        let scrape = """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: serin-router
            static_configs: [{ targets: ["\(config.routerAdmin)"] }]
          - job_name: serin-operator
            static_configs: [{ targets: ["\(config.apiListen)"] }]

        """
        try scrape.write(toFile: process.directory + "/prometheus.yml", atomically: true, encoding: .utf8)
        _ = try process.adoptOrStart()
        return process
    }
}
