extension ResourceClient {
    /// Until one object satisfies `condition`, followed on a watch of that
    /// object alone (a field selector on its name), not by polling; nil
    /// when `timeout` passes first. `written`: the object as a write
    /// returned it: it is judged first, and the watch starts at its
    /// version, so nothing after it is missed; without it (or when that
    /// version is too old, 410), at the object as it is now.
    public func wait(for name: String, namespace: String? = nil, from written: Object?, timeout: Duration,
                     until condition: @escaping @Sendable (Object) -> Bool) async throws -> Object? {
        if let written, condition(written) { return written }
        return try await withThrowingTaskGroup(of: Object?.self) { group in
            group.addTask {
                var version = written?.metadata.resourceVersion
                while true {
                    do {
                        for try await event in self.watch(namespace: namespace, fieldSelector: "metadata.name=\(name)", resourceVersion: version,
                                                          timeoutSeconds: max(1, Int(timeout.components.seconds) + 1)) {
                            switch event {
                            case .added(let object), .modified(let object):
                                if condition(object) { return object }
                                version = object.metadata.resourceVersion
                            case .deleted(let object):
                                version = object.metadata.resourceVersion
                            case .bookmark(let resourceVersion):
                                version = resourceVersion
                            case .error:
                                version = nil
                            }
                        }
                    } catch let error as KubeError where error.isGone {
                        version = nil
                    }
                    try Task.checkCancellation()
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
