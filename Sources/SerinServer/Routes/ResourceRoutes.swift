import Hummingbird
import SerinEngine

/// `/api/v1/sources` and `/api/v1/workloads`: what Git declared and how it
/// stands, with Kubernetes-style conditions. Read-only: no token needed.
struct ResourceRoutes: Sendable {
    let control: any OperatorControl

    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("/api/v1/sources") { _, _ in
            JSONResponse.make(await control.sources())
        }
        router.get("/api/v1/sources/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let source = await control.sources().first(where: { $0.name == name }) else {
                throw APIError.notFound("no source named \"\(name)\"")
            }
            return JSONResponse.make(source)
        }
        router.get("/api/v1/workloads") { _, _ in
            JSONResponse.make(await control.workloads())
        }
        for path in ["/api/v1/workloads/:name", "/api/v1/namespaces/:namespace/workloads/:name"] {
            router.get(RouterPath(path)) { _, context in
                let name = try context.parameters.require("name")
                let namespace = context.parameters.get("namespace")
                let matching = await control.workloads().filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
                guard let workload = matching.first else {
                    throw APIError.notFound("no workload named \"\(namespace.map { "\($0)/" } ?? "")\(name)\"")
                }
                guard matching.count == 1 else {
                    throw APIError.badRequest("\(matching.count) workloads are named \"\(name)\": ask for "
                        + matching.map { "/api/v1/namespaces/\($0.namespace)/workloads/\(name)" }.joined(separator: " or "))
                }
                return JSONResponse.make(workload)
            }
        }
    }
}
