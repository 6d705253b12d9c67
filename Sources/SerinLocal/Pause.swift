import Dispatch

/// Waits without honouring cancellation. Stopping a process must finish
/// (signal, grace, SIGKILL, record removal) even when the task that asked
/// for it is cancelled; `Task.sleep` would return at once and turn the
/// grace period into a busy loop.
func pause(_ duration: Duration) async {
    let (seconds, attoseconds) = duration.components
    let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { continuation.resume() }
    }
}

/// Runs blocking file work (fsync, copying logs) on a Dispatch thread so the
/// cooperative pool stays free.
func offPool<Value: Sendable>(on queue: DispatchQueue = .global(qos: .utility), _ work: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        queue.async { continuation.resume(returning: work()) }
    }
}
