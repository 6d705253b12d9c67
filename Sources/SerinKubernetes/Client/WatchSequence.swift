import AsyncHTTPClient
import Foundation
import NIOCore

/// The events of one watch request, as they come. Nothing is sent until
/// the first `next()`; the apiserver ends the stream after `timeoutSeconds`
/// (then `next()` returns nil: watch again from the last resourceVersion).
/// Leaving the loop or cancelling the task closes the connection.
public struct WatchSequence<Object: KubeAPIObject>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>

    let client: KubeClient
    let kind: ResourceKind
    let call: KubeClient.Call

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, kind: kind, call: call)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private enum State {
            case idle
            case streaming(HTTPClientResponse.Body.AsyncIterator)
            case finished
        }

        private let client: KubeClient
        private let kind: ResourceKind
        private let call: KubeClient.Call
        private var state = State.idle
        private var splitter = JSONLineSplitter()
        private var pending: [WatchEvent<Object>] = []
        private var pendingIndex = 0
        private let decoder = JSONDecoder()

        init(client: KubeClient, kind: ResourceKind, call: KubeClient.Call) {
            self.client = client
            self.kind = kind
            self.call = call
        }

        public mutating func next() async throws(KubeError) -> WatchEvent<Object>? {
            while true {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                pending.removeAll(keepingCapacity: true)
                pendingIndex = 0
                switch state {
                case .finished:
                    return nil
                case .idle:
                    state = .streaming(try await client.openStream(call))
                case .streaming(var body):
                    let chunk: ByteBuffer?
                    do {
                        chunk = try await body.next()
                    } catch {
                        state = .finished
                        if error is CancellationError { return nil }
                        throw KubeError.transport(KubeClient.describe(error, timeout: .zero), request: call.summary)
                    }
                    if let chunk {
                        state = .streaming(body)
                        for line in splitter.append(chunk.readableBytesView) { try decode(line) }
                    } else {
                        state = .finished
                        if let line = splitter.finish() { try decode(line) }
                    }
                }
            }
        }

        private mutating func decode(_ line: ArraySlice<UInt8>) throws(KubeError) {
            do {
                var event = try decoder.decode(WatchEventLine<Object>.self, from: Data(line)).event
                switch event {
                case .added(var object):
                    object.adopt(kind)
                    event = .added(object)
                case .modified(var object):
                    object.adopt(kind)
                    event = .modified(object)
                case .deleted(var object):
                    object.adopt(kind)
                    event = .deleted(object)
                case .bookmark, .error:
                    break
                }
                pending.append(event)
            } catch {
                throw KubeError.decoding("a watch event of \(kind) does not decode: \(error)", request: call.summary)
            }
        }
    }
}

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

extension KubeClient {
    /// Sends a streaming GET; returns its body once a 200 head came.
    func openStream(_ call: Call) async throws(KubeError) -> HTTPClientResponse.Body.AsyncIterator {
        requests.record(call.verb)
        logger.trace("kubernetes watch", metadata: ["request": "\(call.url)"])
        var request = HTTPClientRequest(url: config.server + call.url)
        request.method = call.method
        addHeaders(&request.headers, contentType: nil)
        let response: HTTPClientResponse
        do {
            // The deadline covers the head only; the body streams until the
            // apiserver's timeoutSeconds.
            response = try await http.execute(request, deadline: .now() + Self.timeAmount(requestTimeout), logger: nil)
        } catch {
            throw KubeError.transport(Self.describe(error, timeout: requestTimeout), request: call.summary)
        }
        guard response.status.code == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            if response.status.code == 401 { token.invalidate() }
            throw Self.failure(Answer(status: Int(response.status.code), headers: response.headers, body: body), call: call)
        }
        return response.body.makeAsyncIterator()
    }
}
