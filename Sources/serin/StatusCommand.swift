import ArgumentParser
import Foundation
import SerinCLI
import SerinEngine

struct StatusCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show everything: the sources (revision, Ready and why), the workloads (replicas, canary, Ready) and the rollouts (phase, weight, step, last check).")

    @OptionGroup var options: APIOptions
    @OptionGroup var format: OutputOptions

    func run() async throws {
        do {
            let client = try options.client()
            let sources = try await client.raw("/api/v1/sources")
            let workloads = try await client.raw("/api/v1/workloads")
            let rollouts = try await client.raw("/api/v1/rollouts")
            if format.output != .table {
                // One document: {"rollouts": [...], "sources": [...], "workloads": [...]}.
                let document = "{\"rollouts\":\(String(decoding: rollouts, as: UTF8.self)),\"sources\":\(String(decoding: sources, as: UTF8.self)),"
                    + "\"workloads\":\(String(decoding: workloads, as: UTF8.self))}"
                print(try format.render(Data(document.utf8)), terminator: "")
                return
            }
            let decoder = JSONDecoder()
            func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws(APIClient.Failure) -> T {
                do { return try decoder.decode(type, from: data) } catch {
                    throw APIClient.Failure(description: "the API answered something this serin cannot read: \(error)", exitStatus: 2)
                }
            }
            print(ResourceViews.overview(sources: try decode([SourceStatusReport].self, sources),
                                         workloads: try decode([WorkloadStatusReport].self, workloads),
                                         rollouts: try decode([RolloutStatus].self, rollouts), now: Date().timeIntervalSince1970), terminator: "")
        } catch {
            throw failed(error, command: "status")
        }
    }
}
