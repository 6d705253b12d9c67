import Foundation
import SerinTesting
import Testing
@testable import SerinSpec

/// Seeded random mutations of valid manifests, and random bytes, never crash
/// or hang the loader and the validator. 100,000 inputs in all, split in
/// shards that run in parallel; a failure names its seed.
@Suite struct FuzzTests {
    static let shards = 8
    static let perShard = 12_500

    static let corpus: [String] = {
        var texts = Fixtures.files("flagger-valid").compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        texts.append(canaryYAML(analysis: "interval: 1m\nstepWeight: 10\nsteps:\n  - setWeight: 5\n  - analyze: 2\n  - pause: {}"))
        texts.append(workloadYAML)
        texts += BuiltinStrategies.sources.map(\.text)
        return texts
    }()

    @Test(arguments: 0..<shards)
    func mutatedManifestsNeverCrashOrHang(shard: Int) async {
        var random = SeededRandom(seed: 0x5E12_0000 + UInt64(shard))
        let mutator = YAMLMutator()
        let loader = ManifestLoader()
        let validator = Validator()
        var slowest: Duration = .zero
        var slowestSeedInput = ""
        let clock = ContinuousClock()
        for iteration in 0..<Self.perShard {
            // The shards would otherwise hold both cooperative threads for a
            // minute, and tests that wait for real processes meanwhile would
            // measure that instead of what they test.
            if iteration % 10 == 0 { await Task.yield() }
            let input: Manifests
            let started = clock.now
            if iteration % 10 == 0 {
                let bytes = mutator.randomBytes(count: Int.random(in: 0...400, using: &random), using: &random)
                input = loader.load(data: Data(bytes), file: "fuzz.yaml")
            } else {
                let base = Self.corpus[Int.random(in: 0..<Self.corpus.count, using: &random)]
                input = loader.load(text: mutator.mutate(base, using: &random), file: "fuzz.yaml")
            }
            let diagnostics = validator.validate(input)
            for diagnostic in diagnostics {
                // One line each, with the file named, whatever the input.
                #expect(!diagnostic.description.contains("\n"))
                #expect(diagnostic.description.hasPrefix("fuzz.yaml"))
            }
            let elapsed = clock.now - started
            if elapsed > slowest {
                slowest = elapsed
                slowestSeedInput = "shard \(shard) iteration \(iteration)"
            }
        }
        #expect(slowest < .seconds(2), "slowest input took \(slowest) (\(slowestSeedInput))")
    }
}
