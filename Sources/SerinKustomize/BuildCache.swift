import SerinSpec

/// Built objects by the key of what the build read, least recently used
/// dropped first once the bytes held pass the capacity. Failures are kept
/// too: an unchanged broken overlay is not built again at every poll.
struct BuildCache {
    private struct Entry {
        var value: Result<[RenderedText], RenderFailure>
        var size: Int
        var used: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var held = 0
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { entries.count }

    mutating func value(for key: String) -> Result<[RenderedText], RenderFailure>? {
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.used = clock
        entries[key] = entry
        return entry.value
    }

    mutating func store(_ value: Result<[RenderedText], RenderFailure>, for key: String, size: Int) {
        guard size <= capacity else { return }
        clock += 1
        if let old = entries[key] { held -= old.size }
        entries[key] = Entry(value: value, size: size, used: clock)
        held += size
        while held > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            held -= oldest.value.size
            entries[oldest.key] = nil
        }
    }
}
