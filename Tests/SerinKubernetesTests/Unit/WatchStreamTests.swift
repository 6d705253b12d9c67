import Foundation
import Testing

@testable import SerinKubernetes

/// The watch stream is newline-delimited JSON cut anywhere by the network.
@Suite struct WatchStreamTests {
    /// Three events as the apiserver writes them; "é" and "✓" are
    /// multi-byte, so some cuts fall inside a character.
    static let stream = Array(("""
        {"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"10"},"data":{"k":"café"}}}
        {"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"11"},"data":{"k":"✓"}}}
        {"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"15"}}}
        {"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"n","resourceVersion":"16"}}}
        {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (16)","reason":"Expired","code":410}}

        """).utf8)

    static func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [String] {
        var splitter = JSONLineSplitter()
        var lines: [ArraySlice<UInt8>] = []
        for chunk in chunks { lines += splitter.append(chunk) }
        if let rest = splitter.finish() { lines.append(rest) }
        return try lines.map { line in
            let event = try JSONDecoder().decode(WatchEventLine<ConfigMap>.self, from: Data(line)).event
            switch event {
            case .added(let map): return "ADDED \(map.metadata.name!) \(map.metadata.resourceVersion!) \(map.data?["k"] ?? "")"
            case .modified(let map): return "MODIFIED \(map.metadata.name!) \(map.metadata.resourceVersion!) \(map.data?["k"] ?? "")"
            case .deleted(let map): return "DELETED \(map.metadata.name!) \(map.metadata.resourceVersion!)"
            case .bookmark(let version): return "BOOKMARK \(version)"
            case .error(let status): return "ERROR \(status.code ?? 0) \(status.reason ?? "")"
            }
        }
    }

    static let expected = ["ADDED a 10 café", "MODIFIED a 11 ✓", "BOOKMARK 15", "DELETED a 16", "ERROR 410 Expired"]

    @Test func wholeStream() throws {
        #expect(try Self.decode([Self.stream[...]]) == Self.expected)
    }

    @Test func cutAtEveryOffset() throws {
        for cut in 0...Self.stream.count {
            let chunks = [Self.stream[..<cut], Self.stream[cut...]]
            #expect(try Self.decode(chunks) == Self.expected, "cut at \(cut)")
        }
    }

    @Test func cutTwiceAtEveryPairOfOffsets() throws {
        let count = Self.stream.count
        for first in stride(from: 0, through: count, by: 31) {
            for second in first...count {
                let chunks = [Self.stream[..<first], Self.stream[first..<second], Self.stream[second...]]
                #expect(try Self.decode(chunks) == Self.expected, "cuts at \(first) and \(second)")
            }
        }
    }

    @Test func oneByteAtATime() throws {
        #expect(try Self.decode(Self.stream.indices.map { Self.stream[$0...$0] }) == Self.expected)
    }

    @Test func lastLineWithoutNewline() throws {
        let trimmed = Self.stream.dropLast()
        #expect(try Self.decode([trimmed]) == Self.expected)
    }

    @Test func blankLinesAndCarriageReturns() throws {
        var splitter = JSONLineSplitter()
        let lines = splitter.append(Array("\n\r\n{\"a\":1}\r\n \n".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}\r"])
        #expect(splitter.finish() == nil)
    }

    @Test func untypedObjectsAdoptTheirKind() throws {
        let line = #"{"type":"ADDED","object":{"metadata":{"name":"x"},"spec":{"replicas":3}}}"#
        var event = try JSONDecoder().decode(WatchEventLine<KubeObject>.self, from: Data(line.utf8)).event
        guard case .added(var object) = event else { Issue.record("not ADDED"); return }
        object.adopt(Deployment.resourceKind)
        event = .added(object)
        #expect(object.apiVersion == "apps/v1")
        #expect(object.kind == "Deployment")
        #expect(object["spec"]?["replicas"] == 3)
        #expect(event.resourceVersion == nil)
    }
}
