import Foundation

@testable import SerinKubernetes
import SerinSpec

/// A stand-in for a Gateway API implementation, which cannot run here: it
/// accepts every HTTPRoute of one namespace at its current generation, as a
/// gateway controller reports it (`status.parents[].conditions[Accepted]`),
/// every 100 ms. Nothing routes traffic.
final class FakeGatewayController: Sendable {
    static let controllerName = "serin.dev/fake-gateway-controller"
    private let task: Task<Void, Never>

    init(client: KubeClient, namespace: String) {
        task = Task {
            let routes = client.resources(HTTPRouteV1Beta1.self)
            while !Task.isCancelled {
                for route in (try? await routes.list(namespace: namespace).items) ?? [] {
                    guard let generation = route.metadata.generation, !KubernetesPlatform.accepted(route, generation) else { continue }
                    _ = try? await routes.updateStatus(Self.accepting(route, generation))
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func stop() {
        task.cancel()
    }

    static func accepting(_ route: HTTPRouteV1Beta1, _ generation: Int64) -> HTTPRouteV1Beta1 {
        var accepted = route
        let now = ISO8601DateFormatter().string(from: Date())
        let parents: [JSONValue] = route.spec?["parentRefs"]?.arrayValue ?? []
        let condition = KubeCondition(type: "Accepted", status: "True", reason: "Accepted", message: "accepted by the fake controller",
                                      lastTransitionTime: now, observedGeneration: generation)
        accepted.status = .init(parents: parents.map { parent in
            .init(parentRef: parent, controllerName: controllerName, conditions: [condition])
        })
        return accepted
    }
}
