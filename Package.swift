// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Serin",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "serin", targets: ["serin"]),
        .executable(name: "serin-bench", targets: ["serin-bench"]),
        .library(name: "SerinSpec", targets: ["SerinSpec"]),
        .library(name: "SerinTemplate", targets: ["SerinTemplate"]),
        .library(name: "SerinHelm", targets: ["SerinHelm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/mxcl/Version.git", from: "2.2.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Prometheus, webhooks, alerts and the CLI's API calls: NIO's client, not
        // URLSession (libcurl and its dozen libraries loaded into every serin
        // process, and async calls cancelled mid-flight can crash it on Linux).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already in the graph through Hummingbird; named here so the API server can be a Service.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        // Tests step time instead of sleeping (TestClock).
        .package(url: "https://github.com/pointfreeco/swift-clocks.git", from: "1.1.1"),
        // TLS configuration of the Kubernetes client (cluster CA, client certificates);
        // already in the graph through AsyncHTTPClient.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Deque for the engine's work queue; already in the graph through SwiftNIO.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // HTTP parts as the API server's connection handlers see them (the
        // connection cap); already in the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // openat2(RESOLVE_BENEATH) for reading revision snapshots from the inside only.
        .target(name: "CSerinFiles"),
        // strategies/*.yaml, compiled in (SwiftPM's embedInCode): no generated copy.
        .target(
            name: "SerinStrategyFiles",
            path: "strategies",
            resources: [
                .embedInCode("ab-testing.yaml"), .embedInCode("blue-green.yaml"), .embedInCode("canary-exponential.yaml"),
                .embedInCode("canary.yaml"), .embedInCode("mirror-then-canary.yaml"),
            ]
        ),
        .target(
            name: "SerinSpec",
            dependencies: ["CSerinFiles", "SerinStrategyFiles", .product(name: "Yams", package: "Yams")]
        ),
        // The render stage's Kustomize: the real `kustomize` binary run as a
        // subprocess inside a fence, as Flux's kustomize-controller builds a path.
        .target(
            name: "SerinKustomize",
            dependencies: [
                "SerinSpec",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Go's text/template (lexer, parser, executor, fmt) over Helm's values:
        // a pure library, no I/O, for the Helm renderer.
        .target(name: "SerinTemplate"),
        // Helm charts and Flux's HelmRelease on SerinTemplate: Sprig's and Helm's
        // functions, values, charts from a commit's tree, the render stage's renderer.
        .target(
            name: "SerinHelm",
            dependencies: [
                "SerinTemplate", "SerinSpec",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SerinEngine",
            dependencies: [
                "SerinSpec",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // One HTTP exchange with a deadline over the whole answer, on one
        // AsyncHTTPClient per process: Prometheus, webhooks, alerts, the CLI.
        .target(
            name: "SerinHTTP",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SerinAnalysis",
            // HTTP goes through SerinHTTP: only what the sources import.
            dependencies: [
                "SerinEngine", "SerinSpec", "SerinHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "SerinRouter",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // The proxy's per-connection state lives in class properties; the
            // runtime's exclusivity checks on them cost ~3% of the router's CPU.
            // Debug builds (and so the tests) keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "SerinGit",
            dependencies: [
                "CLibGit2",
                "SerinSpec",
                "SerinEngine",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Version", package: "Version"),
            ]
        ),
        // What `serin demo` runs (a throwaway installation of the quickstart,
        // followed through the API) and the steady traffic `serin load` sends;
        // the end-to-end tests start from the same files (SerinTesting).
        .target(
            name: "SerinSandbox",
            dependencies: ["SerinCLI", "SerinEngine", "SerinHTTP", .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .target(name: "SerinTesting", dependencies: ["SerinSandbox"]),
        .target(name: "SerinEngineTesting", dependencies: ["SerinEngine", "SerinSpec"]),
        // Stand-ins for what a cluster has and this machine cannot run many of:
        // a node without a kubelet (FakeNode), an apiserver (FakeApiserver).
        .target(
            name: "SerinKubernetesTesting",
            dependencies: [
                "SerinKubernetes", "SerinSpec",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SerinServerTesting",
            dependencies: [
                "SerinServer",
                "SerinEngine",
                "SerinTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "CSerinProcess"),
        .target(
            name: "SerinOperator",
            dependencies: [
                "SerinEngine", "SerinSpec", "SerinGit", "SerinLocal", "SerinAnalysis", "SerinKubernetes", "SerinKustomize", "SerinHelm", "SerinHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "SerinKubernetes",
            dependencies: [
                "SerinEngine", "SerinSpec",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The HMAC over the rollout states kept in the cluster.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "SerinLocal",
            dependencies: [
                "SerinEngine", "SerinSpec", "SerinRouter", "CSerinProcess",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // dashboard/*, compiled in (SwiftPM's embedInCode): no generated copy.
        .target(
            name: "SerinDashboard",
            path: "dashboard",
            resources: [.embedInCode("index.html"), .embedInCode("serin.css"), .embedInCode("serin.js")]
        ),
        .target(
            name: "SerinServer",
            dependencies: [
                "SerinEngine", "SerinDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "SerinCLI",
            dependencies: ["SerinEngine", "SerinHTTP", .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "serin",
            dependencies: [
                "SerinSpec",
                "SerinEngine",
                "SerinGit",
                "SerinRouter",
                "SerinLocal",
                "SerinOperator",
                "SerinServer",
                "SerinCLI",
                "SerinSandbox",
                "SerinKustomize",
                "SerinHelm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "serin-bench",
            dependencies: [
                "SerinSpec",
                "SerinEngine",
                "SerinEngineTesting",
                "SerinAnalysis",
                "SerinGit",
                "SerinLocal",
                "SerinKubernetes",
                "SerinKubernetesTesting",
                "SerinKustomize",
                "SerinTesting",
                "SerinHelm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SerinSpecTests",
            dependencies: ["SerinSpec", "SerinTesting"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SerinKustomizeTests",
            dependencies: ["SerinKustomize", "SerinSpec", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SerinHelmTests",
            dependencies: ["SerinHelm", "SerinTemplate", "SerinSpec"],
            // Helm's test charts and golden files, Flagger's and podinfo's charts.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SerinTemplateTests",
            dependencies: ["SerinTemplate"],
            // Go's own test tables as JSON (scripts/helm/go-tables.sh), read by path.
            exclude: ["GoTables"]
        ),
        .testTarget(
            name: "SerinEngineTests",
            dependencies: ["SerinEngine", "SerinEngineTesting", "SerinSpec"]
        ),
        .testTarget(
            name: "SerinReconcilerTests",
            dependencies: [
                "SerinEngine", "SerinEngineTesting", "SerinSpec", "SerinTesting",
                .product(name: "Clocks", package: "swift-clocks"),
            ]
        ),
        .testTarget(
            name: "SerinAnalysisTests",
            dependencies: [
                "SerinAnalysis", "SerinEngine", "SerinSpec", "SerinTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "SerinRouterTests",
            dependencies: [
                "SerinRouter",
                "SerinTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SerinKubernetesTests",
            dependencies: [
                "SerinKubernetes", "SerinKubernetesTesting", "SerinEngine", "SerinSpec", "SerinOperator", "SerinTesting", "CSerinProcess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            exclude: ["Fixtures", "README.md"]
        ),
        .testTarget(
            name: "SerinGitTests",
            dependencies: ["SerinGit", "SerinSpec", "SerinEngine", "SerinTesting"]
        ),
        .testTarget(
            name: "SerinLocalTests",
            dependencies: ["SerinLocal", "SerinSpec", "SerinEngine", "SerinTesting"]
        ),
        .testTarget(
            name: "SerinServerTests",
            dependencies: ["SerinServer", "SerinServerTesting", "SerinEngine", "SerinTesting"],
            // The browser test's Selenium script, run by DashboardBrowserTests.
            exclude: ["Browser"]
        ),
        .testTarget(
            name: "SerinCLITests",
            dependencies: ["serin", "SerinCLI", "SerinServer", "SerinServerTesting", "SerinEngine", "SerinRouter", "SerinTesting", "SerinOperator", "SerinGit"],
            exclude: ["Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
