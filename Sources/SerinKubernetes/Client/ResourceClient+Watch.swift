extension ResourceClient {
    /// Watches the collection (one namespace, or all with nil) from
    /// `resourceVersion` (nil or "": the current state as ADDED events,
    /// then changes). `timeoutSeconds` bounds the request on the server.
    public func watch(namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                      resourceVersion: String? = nil, timeoutSeconds: Int? = 300,
                      allowBookmarks: Bool = true) -> WatchSequence<Object> {
        var query: [(String, String)] = [("watch", "1")]
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        let call = KubeClient.Call(method: .GET, path: kind.path(namespace: kind.namespaced ? namespace : nil), query: query,
                                   idempotent: true, verb: "watch")
        return WatchSequence(client: client, kind: kind, call: call)
    }
}
