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
