import NIOCore

/// A copy of a request sent to the canary, whose answer is read only for
/// its status (counted as the canary's, so analysis sees mirrored traffic)
/// and then discarded. The copy asks the backend to close afterwards, so
/// its end needs no framing. A canary too slow to take the copy loses it;
/// it never slows the client's real request.
final class MirrorSink: UpstreamOwner {
    private let loop: LoopContext
    private let stats: WorkloadStats
    private let started = NIODeadline.now()
    private var upstream: UpstreamHandler?
    private var queued: ByteBuffer?
    private var statusBytes: [UInt8] = []
    private var status: Int?
    private var finished = false

    init(loop: LoopContext, backend: Backend, stats: WorkloadStats, head: ByteBuffer) {
        self.loop = loop
        self.stats = stats
        self.queued = head
        loop.connect(backend).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                guard !self.finished, let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                    channel.close(promise: nil)
                    return
                }
                handler.owner = self
                handler.pool = loop.pool(backend)
                self.upstream = handler
                if let queued = self.queued {
                    self.queued = nil
                    handler.write(queued)
                }
                handler.flush()
            case .failure:
                loop.markDown(backend)
                self.finish(status: 502)
            }
        }
    }

    func send(_ bytes: ByteBuffer) {
        guard !finished else { return }
        if let upstream {
            guard upstream.isWritable else { return abandon() }
            upstream.write(bytes)
        } else {
            var bytes = bytes
            if queued == nil { queued = bytes } else { queued!.writeBuffer(&bytes) }
            if queued!.readableBytes > loop.options.maximumQueuedBytes { abandon() }
        }
    }

    func flush() {
        upstream?.flush()
    }

    /// The client went away mid-request: the copy is incomplete.
    func clientGone() {
        guard upstream == nil || status == nil else { return }
        abandon()
    }

    private func abandon() {
        finished = true
        queued = nil
        upstream?.close()
        upstream = nil
    }

    private func finish(status: Int) {
        guard !finished else { return }
        finished = true
        stats.record(.canary, status: status, seconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9)
    }

    func upstreamRead(_ buffer: ByteBuffer) {
        guard status == nil, statusBytes.count < 12 else { return }
        statusBytes += buffer.readableBytesView.prefix(12 - statusBytes.count)
        if statusBytes.count == 12, statusBytes.starts(with: Array("HTTP/1.".utf8)) {
            status = Int(String(decoding: statusBytes[9..<12], as: UTF8.self))
        }
    }

    func upstreamReadComplete() {}

    func upstreamClosed(_ upstream: UpstreamHandler) {
        self.upstream = nil
        finish(status: status ?? 502)
    }

    func upstreamWritabilityChanged(_ upstream: UpstreamHandler) {}
}
