import Foundation
import SerinKubernetes
import SerinKubernetesTesting

/// A stand-in for a Gateway API implementation, which cannot run here: it
/// accepts every HTTPRoute of one namespace at its current generation, as a
/// gateway controller reports it (`FakeGateway.accepting`), listing them
/// every 100 ms as the tests always have (the benchmark's `FakeGateway`
/// follows an informer instead). Nothing routes traffic.
final class FakeGatewayController: Sendable {
    private let task: Task<Void, Never>

    init(client: KubeClient, namespace: String) {
        task = Task {
            let routes = client.resources(HTTPRouteV1Beta1.self), writer = client.resources(HTTPRouteV1Beta1.resourceKind)
            while !Task.isCancelled {
                for route in (try? await routes.list(namespace: namespace).items) ?? [] {
                    guard let generation = route.metadata.generation, !FakeGateway.accepted(route, generation),
                          let accepting = try? FakeGateway.accepting(route, generation) else { continue }
                    _ = try? await writer.updateStatus(accepting)
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func stop() {
        task.cancel()
    }
}
