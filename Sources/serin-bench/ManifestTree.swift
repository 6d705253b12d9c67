import Foundation

/// Writes a tree of valid manifests shaped like a real repository: each
/// application has a Workload, a Canary with metrics, webhooks and an alert,
/// a MetricTemplate, an AlertProvider, and Kubernetes manifests.
enum ManifestTree {
    /// Returns the number of bytes written.
    static func write(resources: Int, files: Int, to directory: String) throws -> Int {
        precondition(files > 0 && resources >= files)
        var documents: [String] = []
        var app = 0
        while documents.count < resources {
            documents += application(app)
            app += 1
        }
        documents = Array(documents.prefix(resources))
        // Keep each application's documents together, split evenly across files.
        let perFile = Int((Double(resources) / Double(files)).rounded(.up))
        var bytes = 0
        for file in 0..<files {
            let slice = documents.dropFirst(file * perFile).prefix(perFile)
            guard !slice.isEmpty else { break }
            let text = slice.joined(separator: "\n---\n") + "\n"
            let path = "\(directory)/team-\(file % 20)/app-\(file).yaml"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            bytes += text.utf8.count
        }
        return bytes
    }

    /// Six documents for application `n`, all in namespace `ns-n`; what a
    /// Canary refers to comes first, so a tree cut short stays valid.
    static func application(_ n: Int) -> [String] {
        let name = "app-\(n)"
        let namespace = "ns-\(n)"
        return [
            """
            apiVersion: serin.dev/v1alpha1
            kind: MetricTemplate
            metadata:
              name: error-ratio-\(n)
              namespace: \(namespace)
            spec:
              provider: { type: prometheus, address: "http://127.0.0.1:9090" }
              query: |
                sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary",code=~"5..",route="{{ variables.route }}"}[{{ interval }}]))
                /
                sum(rate(serin_router_requests_total{workload="{{ target }}",role="canary"}[{{ interval }}]))
            """,
            """
            apiVersion: serin.dev/v1alpha1
            kind: AlertProvider
            metadata:
              name: on-call-\(n)
              namespace: \(namespace)
            spec:
              type: generic
              address: http://127.0.0.1:9798/alerts
            """,
            """
            apiVersion: serin.dev/v1alpha1
            kind: Workload
            metadata:
              name: \(name)
              namespace: \(namespace)
              labels: { team: team-\(n % 20), tier: web }
            spec:
              replicas: 2
              service: { port: \(20000 + n) }
              template:
                command: ["python3", "app.py"]
                args: ["--port", "$(PORT)", "--name", "$(APP_NAME)"]
                workingDir: apps/\(name)
                env:
                  - { name: APP_NAME, value: "\(name)" }
                  - { name: ERROR_RATE, value: "0" }
                  - { name: LATENCY_MS, value: "5" }
                readinessProbe: { httpGet: { path: /healthz }, periodSeconds: 1, failureThreshold: 3 }
                livenessProbe: { httpGet: { path: /healthz }, periodSeconds: 5, failureThreshold: 3 }
                terminationGracePeriodSeconds: 5
            """,
            """
            apiVersion: serin.dev/v1alpha1
            kind: Canary
            metadata:
              name: \(name)
              namespace: \(namespace)
            spec:
              targetRef: { apiVersion: serin.dev/v1alpha1, kind: Workload, name: \(name) }
              progressDeadlineSeconds: 120
              analysis:
                interval: 30s
                threshold: 5
                maxWeight: 50
                stepWeight: 10
                stepWeightPromotion: 25
                metrics:
                  - name: request-success-rate
                    interval: 1m
                    thresholdRange: { min: 99 }
                  - name: request-duration
                    interval: 1m
                    thresholdRange: { max: 500 }
                  - name: error-ratio
                    templateRef: { name: error-ratio-\(n) }
                    templateVariables: { route: main }
                    interval: 1m
                    thresholdRange: { max: 0.01 }
                webhooks:
                  - name: load-test
                    type: rollout
                    url: http://127.0.0.1:8089/
                    timeout: 5s
                    metadata: { cmd: "hey -z 1m -q 10 -c 2 http://127.0.0.1:\(20000 + n)/" }
                  - name: gate
                    type: confirm-promotion
                    url: http://127.0.0.1:8089/gate/check
                alerts:
                  - name: on-call
                    severity: error
                    providerRef: { name: on-call-\(n) }
            """,
            """
            apiVersion: flagger.app/v1beta1
            kind: MetricTemplate
            metadata:
              name: latency-\(n)
              namespace: \(namespace)
            spec:
              provider: { type: prometheus, address: "http://prometheus.monitoring:9090" }
              query: |
                histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{namespace="{{ namespace }}"}[{{ interval }}])) by (le))
            """,
            """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: \(name)-config
              namespace: \(namespace)
            data:
              LOG_LEVEL: info
              FEATURE_FLAGS: "a,b,c"
            """,
        ]
    }
}
