import Foundation
@testable import SerinKustomize
import SerinSpec
import Testing

/// Builds are addressed by what they read: an unchanged overlay is never
/// built twice, a commit that touches only other paths costs no build, and
/// only so many builds run at once.
@Suite struct KustomizeCacheTests {
    @Test func anUnchangedOverlayIsBuiltOnce() async throws {
        let builder = Fixture.builder()
        let first = try Fixture.snapshot("podinfo")
        let renderer = KustomizeRenderer(builder: builder)
        let before = try await renderer.render(first.request("podinfo/deploy/overlays/production"))
        #expect(await builder.statistics.builds == 1)
        // The next commit: another snapshot, with changes elsewhere only.
        let second = try Fixture.snapshot("podinfo")
        try second.write("podinfo/README.md", "changed\n")
        try second.write("podinfo/deploy/overlays/dev/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev2\n")
        let after = try await renderer.render(second.request("podinfo/deploy/overlays/production"))
        #expect(await builder.statistics.builds == 1)
        #expect(await builder.statistics.cacheHits == 1)
        #expect(Fixture.stream(before) == Fixture.stream(after))
        // A change to a base the overlay reads is built.
        try second.write("podinfo/deploy/bases/cache/redis.conf", "maxmemory 64mb\n")
        let changed = try await renderer.render(second.request("podinfo/deploy/overlays/production"))
        #expect(await builder.statistics.builds == 2)
        #expect(Fixture.stream(changed) != Fixture.stream(before))
    }

    @Test func identicalBuildsAtOnceRunOnce() async throws {
        let builder = Fixture.builder()
        let tree = try Fixture.snapshot("flagger")
        let renderer = KustomizeRenderer(builder: builder)
        let request = tree.request("flagger/overlays/production")
        async let one = renderer.render(request)
        async let two = renderer.render(request)
        async let three = renderer.render(request)
        let streams = try await [one, two, three].map(Fixture.stream)
        #expect(Set(streams).count == 1)
        #expect(await builder.statistics.builds == 1)
    }

    @Test func onlySoManyBuildsRunAtOnce() async throws {
        let builder = Fixture.builder(.init(concurrentBuilds: 1))
        let tree = try Fixture.snapshot("podinfo")
        let renderer = KustomizeRenderer(builder: builder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for environment in ["dev", "staging", "production"] {
                group.addTask { _ = try await renderer.render(tree.request("podinfo/deploy/overlays/\(environment)")) }
            }
            try await group.waitForAll()
        }
        let statistics = await builder.statistics
        #expect(statistics.builds == 3)
        #expect(statistics.mostAtOnce == 1)
    }

    @Test func theCacheDropsTheLeastRecentlyUsed() {
        var cache = BuildCache(capacity: 100)
        cache.store(.success([]), for: "a", size: 40)
        cache.store(.success([]), for: "b", size: 40)
        _ = cache.value(for: "a")
        cache.store(.success([]), for: "c", size: 40)
        #expect(cache.value(for: "a") != nil)
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "c") != nil)
    }
}
