import Synchronization

/// Counts open event streams against a cap. A slot is taken before a
/// stream's answer is made and given back when the slot is released (the
/// stream ended, or its answer was dropped unsent), so a slot is never lost.
final class StreamSlots: Sendable {
    let capacity: Int
    private let open = Mutex(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// A slot, or nil when every slot is taken.
    func take() -> Slot? {
        let taken = open.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        return taken ? Slot(owner: self) : nil
    }

    var count: Int { open.withLock { $0 } }

    fileprivate func giveBack() {
        open.withLock { $0 -= 1 }
    }

    /// One open stream; its slot is free again once released, or once it
    /// is gone (an answer dropped before its body ran).
    final class Slot: Sendable {
        private let owner: StreamSlots
        private let held = Mutex(true)

        fileprivate init(owner: StreamSlots) {
            self.owner = owner
        }

        func release() {
            let wasHeld = held.withLock { held in
                defer { held = false }
                return held
            }
            if wasHeld { owner.giveBack() }
        }

        deinit { release() }
    }
}
