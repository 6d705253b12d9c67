import Foundation
import SerinEngine
import SerinHTTP
import SerinSpec
import SerinTesting
import Testing
@testable import SerinAnalysis

/// What a committer can make the operator call, and read back: webhooks
/// and alerts go where the manifest says and nowhere else (no redirects
/// followed, hosts outside the allow-list refused), and what a failed call
/// answered stays out of the messages the API shows to whoever can read it.
@Suite(.serialized) final class OutboundTests {
    let server: RecordingHTTPServer

    init() throws { server = try RecordingHTTPServer() }
    deinit { server.stop() }

    func hook(_ path: String) -> PlanWebhook {
        PlanWebhook(name: "hook", type: .rollout, url: server.address + path, timeout: .seconds(5), retries: 0, metadata: [:])
    }

    func provider(_ path: String) -> AlertProviderSpec {
        var provider = AlertProviderSpec()
        provider.type = "generic"
        provider.address = server.address + path
        return provider
    }

    static let plan: Plan = {
        var plan = Plan(name: "web", namespace: "shop", steps: [])
        plan.alerts = [PlanAlert(name: "on-call", severity: .info, providerNamespace: "shop", providerName: "ops")]
        return plan
    }()

    @Test(arguments: [301, 302, 303, 307, 308])
    func webhooksDoNotFollowRedirects(status: Int) async throws {
        let result = await WebhookCaller().call(hook("/redirect/\(status)/landed"), name: "web", namespace: "shop", phase: .progressing,
                                                checksum: "", metadata: [:])
        #expect(!result.passed)
        #expect(result.status == status, "\(result.message)")
        #expect(!server.requests().contains { $0.path == "/landed" }, "the redirect was followed")
    }

    @Test func alertsDoNotFollowRedirects() async throws {
        let notification = RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2")
        let deliveries = await AlertSender().send(notification, of: Self.plan, revision: "r2", providers: ["shop/ops": provider("/redirect/307/landed")])
        #expect(deliveries.first?.status == 307, "\(deliveries)")
        let failures = await SourceAlert(source: "deploy", revision: nil, failing: true, message: "broken")
            .send(to: ["shop/ops": provider("/redirect/302/landed")])
        #expect(failures.count == 1, "\(failures)")
        #expect(!server.requests().contains { $0.path == "/landed" }, "the redirect was followed")
    }

    /// The status is said; the body (which may hold whatever an internal
    /// service answers) is not.
    @Test func aFailedCallsBodyStaysOutOfItsMessage() async throws {
        let result = await WebhookCaller().call(hook("/secret/403"), name: "web", namespace: "shop", phase: .progressing, checksum: "", metadata: [:])
        #expect(result.message == "rollout webhook hook answered 403")
        let notification = RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2")
        let deliveries = await AlertSender().send(notification, of: Self.plan, revision: "r2", providers: ["shop/ops": provider("/secret/500")])
        #expect(deliveries.allSatisfy { !$0.message.contains("hunter2") }, "\(deliveries)")
        let failures = await SourceAlert(source: "deploy", revision: nil, failing: true, message: "broken").send(to: ["shop/ops": provider("/secret/500")])
        #expect(failures.allSatisfy { !$0.contains("hunter2") }, "\(failures)")
    }

    /// With an allow-list, a host outside it is never called, and the
    /// message says which setting decides.
    @Test func hostsOutsideTheAllowListAreNeverCalled() async throws {
        let policy = OutboundPolicy(allowedHosts: ["hooks.example.com", "*.alerts.example.com"])
        let before = server.requests().count
        let result = await WebhookCaller(policy: policy).call(hook("/ok"), name: "web", namespace: "shop", phase: .progressing, checksum: "",
                                                             metadata: [:])
        #expect(!result.passed)
        #expect(result.message.contains("127.0.0.1") && result.message.contains("outbound.allowedHosts"), "\(result.message)")
        let notification = RolloutNotification(severity: .error, phase: .failed, message: "rolled back r2")
        let deliveries = await AlertSender(policy: policy).send(notification, of: Self.plan, revision: "r2", providers: ["shop/ops": provider("/ok")])
        #expect(deliveries.first?.message.contains("outbound.allowedHosts") == true, "\(deliveries)")
        let failures = await SourceAlert(source: "deploy", revision: nil, failing: true, message: "broken").send(to: ["shop/ops": provider("/ok")],
                                                                                                               policy: policy)
        #expect(failures.first?.contains("outbound.allowedHosts") == true, "\(failures)")
        #expect(server.requests().count == before, "a host outside the allow-list was called")
    }

    @Test(arguments: [("https://hooks.example.com/x", true), ("http://HOOKS.example.com:8080/x", true), ("https://a.alerts.example.com/", true),
                      ("https://alerts.example.com/", false), ("https://evilhooks.example.com/", false), ("https://hooks.example.com.evil.io/", false),
                      ("http://127.0.0.1:9797/api/v1/rollouts", false), ("http://[::1]/", false), ("not a url", false)])
    func theAllowListMatchesWholeNames(url: String, allowed: Bool) {
        let policy = OutboundPolicy(allowedHosts: ["hooks.example.com", "*.alerts.example.com"])
        #expect((policy.refusal(for: url) == nil) == allowed, "\(url): \(policy.refusal(for: url) ?? "allowed")")
        #expect(OutboundPolicy().refusal(for: "http://127.0.0.1:1/") == nil, "no allow-list: every host")
    }

    /// MetricTemplates and AlertProviders are looked up among the
    /// Canary's own source's: another source declaring the same name does
    /// not replace them, whatever order the sources synced in.
    @Test func anotherSourcesTemplatesNeverShadowACanarysOwn() {
        let ours = MetricTemplateSpec(provider: nil, query: "ours")
        let theirs = MetricTemplateSpec(provider: nil, query: "theirs")
        var resources = ScopedResources()
        resources.update(source: "team-a", templates: ["shop/latency": ours], providers: ["shop/ops": provider("/a")], canaries: ["shop/web"])
        resources.update(source: "team-b", templates: ["shop/latency": theirs, "shop/extra": theirs], providers: ["shop/ops": provider("/b")],
                         canaries: ["other/api"])
        #expect(resources.templates(for: RolloutID(namespace: "shop", name: "web"))["shop/latency"]?.query == "ours")
        #expect(resources.templates(for: RolloutID(namespace: "shop", name: "web"))["shop/extra"] == nil)
        #expect(resources.providers(for: RolloutID(namespace: "shop", name: "web"))["shop/ops"]?.address?.hasSuffix("/a") == true)
        #expect(resources.templates(for: RolloutID(namespace: "other", name: "api"))["shop/latency"]?.query == "theirs")
        // Synced again in the other order: the same answer.
        resources.update(source: "team-a", templates: ["shop/latency": ours], providers: ["shop/ops": provider("/a")], canaries: ["shop/web"])
        #expect(resources.templates(for: RolloutID(namespace: "shop", name: "web"))["shop/latency"]?.query == "ours")
        // A Canary no source declares has none.
        #expect(resources.templates(for: RolloutID(namespace: "x", name: "y")).isEmpty)
    }
}
