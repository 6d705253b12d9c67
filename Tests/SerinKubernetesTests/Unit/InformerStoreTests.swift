import Testing

@testable import SerinKubernetes

@Suite struct InformerStoreTests {
    static func map(_ namespace: String?, _ name: String, _ version: String) -> ConfigMap {
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.resourceVersion = version
        return ConfigMap(metadata: meta)
    }

    static func describe(_ changes: [InformerChange<ConfigMap>]) -> [String] {
        changes.map { change in
            switch change {
            case .added(let new): "added \(new.key) \(new.metadata.resourceVersion!)"
            case .updated(let old, let new): "updated \(new.key) \(old.metadata.resourceVersion!)->\(new.metadata.resourceVersion!)"
            case .deleted(let old): "deleted \(old.key)"
            }
        }
    }

    @Test func relistReportsTheDifference() {
        var store = InformerStore<ConfigMap>()
        let first = store.replace(with: [Self.map("b", "x", "1"), Self.map("a", "y", "2"), Self.map("a", "x", "3")])
        #expect(Self.describe(first) == ["added a/x 3", "added a/y 2", "added b/x 1"])
        let second = store.replace(with: [Self.map("a", "x", "3"), Self.map("a", "y", "5"), Self.map("c", "z", "6")])
        #expect(Self.describe(second) == ["updated a/y 2->5", "added c/z 6", "deleted b/x"])
        #expect(store.sorted.map(\.key.description) == ["a/x", "a/y", "c/z"])
    }

    @Test func watchEvents() {
        var store = InformerStore<ConfigMap>()
        #expect(Self.describe([store.apply(.added(Self.map("n", "a", "1")))].compactMap { $0 }) == ["added n/a 1"])
        // After a watch restarts the apiserver may send ADDED for what we have.
        #expect(store.apply(.added(Self.map("n", "a", "1"))) == nil)
        #expect(Self.describe([store.apply(.added(Self.map("n", "a", "2")))].compactMap { $0 }) == ["updated n/a 1->2"])
        #expect(Self.describe([store.apply(.modified(Self.map("n", "b", "3")))].compactMap { $0 }) == ["added n/b 3"])
        #expect(Self.describe([store.apply(.deleted(Self.map("n", "a", "4")))].compactMap { $0 }) == ["deleted n/a"])
        #expect(store.apply(.deleted(Self.map("n", "a", "5"))) == nil)
        #expect(store.apply(.bookmark(resourceVersion: "9")) == nil)
        #expect(store.sorted.map(\.key.description) == ["n/b"])
    }

    /// Cluster-scoped objects (no namespace) sort before namespaced ones.
    @Test func keyOrder() {
        let keys = [ObjectKey(namespace: "b", name: "a"), ObjectKey(namespace: nil, name: "z"), ObjectKey(namespace: "a", name: "b"),
                    ObjectKey(namespace: "", name: "c"), ObjectKey(namespace: "a", name: "a")]
        #expect(keys.sorted().map(\.description) == ["c", "z", "a/a", "a/b", "b/a"])
    }
}

extension InformerChange: Equatable where Object: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.added(let a), .added(let b)), (.deleted(let a), .deleted(let b)): a == b
        case (.updated(let a1, let a2), .updated(let b1, let b2)): a1 == b1 && a2 == b2
        default: false
        }
    }
}
