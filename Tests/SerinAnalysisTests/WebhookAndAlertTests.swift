import Foundation
import InMemoryLogging
import Logging
import MetricsTestKit
import SerinEngine
import SerinSpec
import SerinTesting
import Testing
@testable import SerinAnalysis

/// Webhooks and alerts against a real HTTP server on 127.0.0.1.
@Suite(.serialized) final class WebhookAndAlertTests {
    let server: RecordingHTTPServer

    init() throws { server = try RecordingHTTPServer() }
    deinit { server.stop() }

    func hook(_ path: String, _ type: WebhookType = .rollout, timeout: Duration = .seconds(5), retries: Int = 0) -> PlanWebhook {
        PlanWebhook(name: "hook", type: type, url: server.address + path, timeout: timeout, retries: retries, metadata: ["cmd": "hey -z 1m"])
    }

    @Test func aSourcesSyncFailureReachesItsProvidersInTheirFormats() async throws {
        var slack = AlertProviderSpec()
        slack.type = "slack"; slack.address = server.address + "/slack"; slack.channel = "deploys"
        var generic = AlertProviderSpec()
        generic.type = "generic"; generic.address = server.address + "/generic"
        var broken = AlertProviderSpec()
        broken.type = "generic"; broken.address = server.address + "/status/500"
        let alert = SourceAlert(source: "deploy", revision: "main@sha1:abc", failing: true,
                                message: "source deploy: deploy/canary.yaml:17:17: analysis.stepWeight must be between 1 and 100, got 150")
        let failures = await alert.send(to: ["shop/slack": slack, "shop/generic": generic, "shop/broken": broken])
        #expect(failures == ["shop/broken: answered 500"])
        let sent = server.requests()
        let toSlack = try #require(sent.first { $0.path == "/slack" })
        let slackBody = try #require(try JSONSerialization.jsonObject(with: Data(toSlack.body.utf8)) as? [String: Any])
        #expect(slackBody["channel"] as? String == "deploys")
        let attachment = try #require((slackBody["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["color"] as? String == "danger")
        #expect((attachment["text"] as? String)?.contains("sync failed: source deploy: deploy/canary.yaml:17:17:") == true)
        let toGeneric = try #require(sent.first { $0.path == "/generic" })
        let genericBody = try #require(try JSONSerialization.jsonObject(with: Data(toGeneric.body.utf8)) as? [String: String])
        #expect(genericBody["event"] == "SyncFailed")
        #expect(genericBody["source"] == "deploy")
        #expect(genericBody["revision"] == "main@sha1:abc")
        let recovered = SourceAlert(source: "deploy", revision: "main@sha1:def", failing: false, message: "in force")
        #expect(await recovered.send(to: ["shop/generic": generic]).isEmpty)
        let last = try #require(server.requests().last)
        #expect(last.body.contains("SyncRecovered"))
    }

    @Test func sendsFlaggersPayloadAndPassesOn2xx() async throws {
        let result = await WebhookCaller().call(hook("/ok"), name: "web", namespace: "shop", phase: .progressing, checksum: "abc", metadata: ["cmd": "hey -z 1m"])
        #expect(result.passed)
        #expect(result.status == 200)
        let sent = try #require(server.requests().last)
        #expect(sent.path == "/ok")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(sent.body.utf8)) as? [String: Any])
        #expect(body["name"] as? String == "web")
        #expect(body["namespace"] as? String == "shop")
        #expect(body["phase"] as? String == "Progressing")
        #expect(body["checksum"] as? String == "abc")
        #expect(body["metadata"] as? [String: String] == ["cmd": "hey -z 1m"])
    }

    @Test func aNon2xxAnswerFailsWithTheStatus() async {
        let result = await WebhookCaller().call(hook("/status/403"), name: "web", namespace: "shop", phase: .progressing, checksum: "", metadata: [:])
        #expect(!result.passed)
        #expect(result.message == "rollout webhook hook answered 403")
    }

    @Test func retriesServerErrorsThenPasses() async {
        let path = "/flaky/2?\(UUID().uuidString)"
        let result = await WebhookCaller().call(hook(path, retries: 2), name: "web", namespace: "shop", phase: .progressing, checksum: "", metadata: [:])
        #expect(result.passed)
        #expect(server.requests().filter { $0.path == path }.count == 3)
    }

    @Test func aHookSlowerThanItsTimeoutFails() async {
        let result = await WebhookCaller().call(hook("/slow/2", timeout: .milliseconds(300)), name: "web", namespace: "shop", phase: .progressing, checksum: "", metadata: [:])
        #expect(!result.passed)
        #expect(result.status == nil)
        #expect(result.message.hasPrefix("rollout webhook hook did not answer"))
    }

    @Test func aHookThatStallsMidBodyFailsAtItsTimeout() async {
        let started = ContinuousClock.now
        let result = await WebhookCaller().call(hook("/stall/20", timeout: .milliseconds(500)), name: "web", namespace: "shop", phase: .progressing, checksum: "", metadata: [:])
        #expect(!result.passed)
        #expect(result.message.hasPrefix("rollout webhook hook did not answer"), "\(result.message)")
        // The head came at once; the deadline covers the body too (the server stalls 20 s).
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func callsEveryHookOfAType() async {
        var plan = Plan(name: "web", steps: [.promote(primaryWeights: [])])
        plan.webhooks = [hook("/gate-a", .confirmPromotion), hook("/load", .rollout), hook("/status/500", .confirmPromotion)]
        let results = await WebhookCaller().call(.confirmPromotion, of: plan, phase: .waitingPromotion, checksum: "")
        #expect(results.map(\.passed) == [true, false])
    }

    @Test func alertsFollowSeverityAndProviderFormats() async throws {
        var plan = Plan(name: "web", namespace: "shop", steps: [.promote(primaryWeights: [])])
        plan.alerts = [
            PlanAlert(name: "all", severity: .info, providerNamespace: "shop", providerName: "slack"),
            PlanAlert(name: "errors", severity: .error, providerNamespace: "shop", providerName: "teams"),
            PlanAlert(name: "audit", severity: .info, providerNamespace: "shop", providerName: "generic"),
        ]
        var slack = AlertProviderSpec()
        slack.type = "slack"; slack.address = server.address + "/slack"; slack.channel = "releases"
        var teams = AlertProviderSpec()
        teams.type = "msteams"; teams.address = server.address + "/teams"
        var generic = AlertProviderSpec()
        generic.type = "generic"; generic.address = server.address + "/generic"
        let providers = ["shop/slack": slack, "shop/teams": teams, "shop/generic": generic]

        let info = RolloutNotification(severity: .info, phase: .progressing, message: "new revision r2: starting the canary")
        let sentInfo = await AlertSender().send(info, of: plan, revision: "main@sha1:r2", providers: providers)
        #expect(sentInfo.map(\.alert) == ["all", "audit"])
        let failure = RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2")
        let sentError = await AlertSender().send(failure, of: plan, revision: "main@sha1:r2", providers: providers)
        #expect(sentError.map(\.alert) == ["all", "errors", "audit"])
        #expect(sentError.allSatisfy { $0.status == 200 })

        let requests = server.requests()
        let slackBody = try #require(requests.last { $0.path == "/slack" }?.body)
        let slackJSON = try #require(try JSONSerialization.jsonObject(with: Data(slackBody.utf8)) as? [String: Any])
        #expect(slackJSON["channel"] as? String == "releases")
        #expect((slackJSON["attachments"] as? [[String: Any]])?.first?["color"] as? String == "danger")
        let teamsBody = try #require(requests.last { $0.path == "/teams" }?.body)
        #expect(teamsBody.contains("\"@type\":\"MessageCard\""))
        let genericBody = try #require(requests.last { $0.path == "/generic" }?.body)
        let genericJSON = try #require(try JSONSerialization.jsonObject(with: Data(genericBody.utf8)) as? [String: String])
        #expect(genericJSON == ["name": "web", "namespace": "shop", "phase": "Failed", "severity": "error", "message": "rolled back r2", "revision": "main@sha1:r2"])
    }

    @Test func anAlertThatIsNotDeliveredIsLoggedAndCounted() async throws {
        let refusing = try Loopback.RefusingPort()
        defer { refusing.close() }
        var plan = Plan(name: "web", namespace: "shop", steps: [.promote(primaryWeights: [])])
        plan.alerts = [
            PlanAlert(name: "pager", severity: .info, providerNamespace: "shop", providerName: "down"),
            PlanAlert(name: "chat", severity: .info, providerNamespace: "shop", providerName: "broken"),
            PlanAlert(name: "audit", severity: .info, providerNamespace: "shop", providerName: "fine"),
        ]
        var down = AlertProviderSpec()
        down.type = "generic"; down.address = "http://\(refusing.address)/alerts"
        var broken = AlertProviderSpec()
        broken.type = "slack"; broken.address = server.address + "/status/500"
        var fine = AlertProviderSpec()
        fine.type = "generic"; fine.address = server.address + "/fine"
        let providers = ["shop/down": down, "shop/broken": broken, "shop/fine": fine]
        let metrics = TestMetrics()
        let log = InMemoryLogHandler()
        let sender = AlertSender(logger: Logger(label: "test", factory: { _ in log }), metrics: metrics)

        let failure = RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2")
        let deliveries = await sender.send(failure, of: plan, revision: "main@sha1:r2", providers: providers)
        #expect(deliveries.map(\.status) == [nil, 500, 200])
        #expect(try metrics.expectCounter(AlertSender.failedMetric, [("provider", "down")]).totalValue == 1)
        #expect(try metrics.expectCounter(AlertSender.failedMetric, [("provider", "broken")]).totalValue == 1)
        #expect(throws: (any Error).self) { try metrics.expectCounter(AlertSender.failedMetric, [("provider", "fine")]) }

        let warnings = log.entries.filter { $0.level == .warning }
        #expect(warnings.map(\.message.description) == ["alert not delivered", "alert not delivered"])
        #expect(warnings.map { $0.metadata["provider"]?.description } == ["shop/down", "shop/broken"])
        #expect(warnings.allSatisfy { $0.metadata["rollout"]?.description == "shop/web" })
        #expect(warnings[0].metadata["reason"]?.description.hasPrefix("not sent to down: ") == true, "\(warnings[0].metadata)")
        #expect(warnings[1].metadata["reason"]?.description == "refused by broken: 500")

        // A second failure adds to the count.
        _ = await sender.send(failure, of: plan, revision: "main@sha1:r2", providers: providers)
        #expect(try metrics.expectCounter(AlertSender.failedMetric, [("provider", "down")]).totalValue == 2)
    }
}

/// One tick's checks with a real Prometheus and real webhooks.
@Suite(.serialized, .enabled(if: PrometheusServer.isAvailable, "needs /usr/bin/prometheus"))
final class AnalysisChecksTests {
    let prometheus: PrometheusServer
    let hooks: RecordingHTTPServer

    init() throws {
        prometheus = try PrometheusServer()
        hooks = try RecordingHTTPServer()
    }

    deinit {
        prometheus.stop()
        hooks.stop()
    }

    func checks() throws -> AnalysisChecks {
        let client = try PrometheusClient(address: URL(string: prometheus.address)!, timeout: .seconds(5))
        let evaluator = MetricEvaluator(templates: [
            "default/hundred": MetricTemplateSpec(provider: nil, query: "vector(100)"),
            "default/missing": MetricTemplateSpec(provider: nil, query: #"up{job="{{ target }}-nothing"}"#),
        ], provider: { _ in client })
        return AnalysisChecks(evaluator: evaluator, context: { MetricQueries.Context(name: $0.rollout.name, namespace: $0.rollout.namespace, target: $0.target.name) })
    }

    func plan(_ metric: String, webhooks: [PlanWebhook] = []) -> Plan {
        var plan = Plan(name: "web", steps: [.analyze(ticks: 1), .promote(primaryWeights: [])])
        plan.metrics = [PlanMetric(name: metric, source: .template(namespace: "default", name: metric), thresholdRange: ThresholdRange(min: 99),
                                   interval: "1m", onNoData: .hold)]
        plan.webhooks = webhooks
        return plan
    }

    @Test func metricsAndRolloutWebhooksMakeOneOutcome() async throws {
        let id = RolloutID(namespace: "default", name: "web")
        let runner = try checks()
        #expect(await runner.runChecks(plan("hundred"), CheckContext(rollout: id, target: WorkloadID(name: "web"), time: 1)).evaluations.map(\.verdict) == [.pass])
        let missing = await runner.runChecks(plan("missing"), CheckContext(rollout: id, target: WorkloadID(name: "web"), time: 2))
        #expect(missing.evaluations.map(\.verdict) == [.noData])
        #expect(missing.evaluations.first?.query == #"up{job="web-nothing"}"#)
        let failing = plan("hundred", webhooks: [PlanWebhook(name: "smoke", type: .rollout, url: hooks.address + "/status/500", timeout: .seconds(2))])
        #expect(await runner.runChecks(failing, CheckContext(rollout: id, target: WorkloadID(name: "web"), time: 3)).hookFailures == ["rollout webhook smoke answered 500"])
        let rollback = plan("hundred", webhooks: [PlanWebhook(name: "big-red-button", type: .rollback, url: hooks.address + "/ok", timeout: .seconds(2))])
        #expect(await runner.runChecks(rollback, CheckContext(rollout: id, target: WorkloadID(name: "web"), time: 4)).hookFailures == ["rollback webhook big-red-button asked for a rollback"])
    }
}
