extension KubeClient {
    /// Runs `body` again while it fails with 409 Conflict, as client-go's
    /// `retry.RetryOnConflict` with `DefaultRetry` (5 attempts, ~10 ms
    /// apart): `body` must read the object afresh each time.
    public static func retryOnConflict<T>(attempts: Int = 5, backoff: Backoff = Backoff(base: .milliseconds(10), cap: .seconds(1)),
                                          _ body: () async throws(KubeError) -> T) async throws(KubeError) -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch where error.isConflict && attempt + 1 < attempts {
                do { try await Task.sleep(for: backoff.delay(attempt: attempt)) } catch { throw KubeError.transport("cancelled", request: nil) }
                attempt += 1
            }
        }
    }
}

extension ResourceClient {
    /// Reads the object, changes it with `mutate` and writes it back (PUT),
    /// reading and changing it again when someone else wrote it in between.
    public func modify(_ name: String, namespace: String? = nil, attempts: Int = 5,
                       _ mutate: (inout Object) throws(KubeError) -> Void) async throws(KubeError) -> Object {
        try await KubeClient.retryOnConflict(attempts: attempts) { () async throws(KubeError) -> Object in
            var object = try await get(name, namespace: namespace)
            try mutate(&object)
            return try await update(object)
        }
    }
}
