import ArgumentParser
import Foundation
import SerinSpec

struct PlanCommand: AsyncParsableCommand, AsyncRunnable {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the step list each Canary compiles into.",
        discussion: "Exit status as for validate. The JSON form is stable: {\"canaries\":[{\"name\",\"namespace\",\"strategy\",\"interval\",\"threshold\",\"steps\":[{\"action\":\"setWeight\",\"weight\":10},...]}]}."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @OptionGroup var options: ManifestOptions

    @Option(name: .shortAndLong, help: "Output format: text or json.")
    var output: Format = .text

    func run() async throws {
        let (_, diagnostics, plans) = try await options.loadValidateAndPlan()
        Output.report(diagnostics)
        guard !diagnostics.hasErrors else {
            Output.error("invalid: \(diagnostics.errors.count) error(s); no plan printed")
            throw ExitCode(ExitStatus.invalid)
        }
        switch output {
        case .json:
            struct Document: Encodable { var canaries: [Plan] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(canaries: plans))
            print(String(decoding: data, as: UTF8.self))
        case .text:
            if plans.isEmpty { print("no Canary in \(options.paths.joined(separator: " "))") }
            print(plans.map(\.text).joined(separator: "\n\n"))
        }
    }
}
