import Yams

/// A `Decoder` over a Yams node tree that never stops at the first problem.
///
/// Type mismatches are written to the `DecodingReport` with their position and
/// the offending optional field decodes as `nil`, so one pass reports every
/// problem of a document. Every mapping remembers which keys the decoded type
/// asked for; the rest are reported as unknown fields.
struct NodeDecoder: Decoder {
    let node: Node
    let path: String
    let report: DecodingReport
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: Node, path: String, report: DecodingReport) {
        self.node = node
        self.path = path
        self.report = report
    }

    /// Built from `path` when asked for: nothing on the decoding path needs
    /// it, and keeping an array per node would cost an allocation each.
    var codingPath: [any CodingKey] {
        var keys: [any CodingKey] = []
        for part in path.split(separator: ".") {
            var name = part
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), let index = Int(name[name.index(after: open)...].dropLast()) {
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            keys.append(AnyCodingKey(String(name)))
            keys += indices.map { AnyCodingKey(intValue: $0) }
        }
        return keys
    }

    /// Decodes a whole document and reports its unknown fields.
    static func decode<T: Decodable>(_ type: T.Type, from node: Node, report: DecodingReport,
                                     displayPath: (String) -> String = { $0 }) -> T? {
        let decoder = NodeDecoder(node: node, path: "", report: report)
        defer { report.reportUnknownFields(displayPath: displayPath) }
        return try? T(from: decoder)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else {
            throw mismatch(expected: "a mapping")
        }
        return KeyedDecodingContainer(try KeyedNodeContainer<Key>(decoder: self, record: record(of: mapping)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else {
            throw mismatch(expected: "a list")
        }
        return UnkeyedNodeContainer(decoder: self, elements: Array(sequence))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(decoder: self)
    }

    /// `mark` is where messages about this value point: the value itself for
    /// a scalar, the key for a mapping or a list (whose own mark would be
    /// their first item).
    func child(_ node: Node, path: String, mark: Mark? = nil) -> NodeDecoder {
        report.record(path: path, mark: mark ?? node.mark)
        return NodeDecoder(node: node, path: path, report: report)
    }

    /// Records "X must be Y, got Z" at this node and returns the error to throw.
    func mismatch(expected: String) -> RecordedDecodingFailure {
        report.error(at: node.mark, "\(displayName) must be \(expected), got \(node.described)")
        return RecordedDecodingFailure()
    }

    var displayName: String { path.isEmpty ? "document" : Self.display(path) }

    /// Spec fields are named as users write them in Flagger's docs:
    /// `analysis.stepWeight`, not `spec.analysis.stepWeight`.
    static func display(_ path: String) -> String {
        path.hasPrefix("spec.") ? String(path.dropFirst(5)) : path
    }

    var scalar: ScalarValue? {
        guard case .scalar(let scalar) = node else { return nil }
        return ScalarValue(scalar)
    }
}

extension Node {
    var described: String {
        switch self {
        case .scalar(let scalar): return ScalarValue(scalar).described
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        guard case .scalar(let scalar) = self else { return false }
        return ScalarValue(scalar) == .null
    }
}

struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) { self.stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension NodeDecoder {
    /// The entries of a mapping, with `<<: *defaults` merge keys applied
    /// (YAML 1.1, as kubectl accepts them): keys written here win.
    func record(of mapping: Node.Mapping) throws -> MappingRecord {
        let record = MappingRecord(path: path)
        var merged: [Node] = []
        for (key, value) in mapping {
            guard report.spend(at: key.mark) else { throw RecordedDecodingFailure() }
            guard case .scalar(let scalar) = key else {
                report.error(at: key.mark, "\(displayName) has a key that is not a plain name")
                continue
            }
            if scalar.string == "<<", scalar.style == .plain {
                merged.append(value)
                continue
            }
            record.append(name: scalar.string, mark: key.mark, value: value)
        }
        for source in merged {
            let sources: [Node]
            switch source {
            case .mapping: sources = [source]
            case .sequence(let list): sources = Array(list)
            default:
                report.error(at: source.mark, "\(displayName): a merge key (<<) needs a mapping or a list of mappings")
                continue
            }
            for case .mapping(let extra) in sources {
                for (key, value) in extra {
                    guard case .scalar(let scalar) = key, !record.contains(scalar.string) else { continue }
                    record.append(name: scalar.string, mark: key.mark, value: value)
                }
            }
        }
        report.register(record)
        return record
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let record: MappingRecord
    var codingPath: [any CodingKey] { decoder.codingPath }

    init(decoder: NodeDecoder, record: MappingRecord) throws {
        self.decoder = decoder
        self.record = record
    }

    var allKeys: [Key] {
        record.names.compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        record.take(key.stringValue) != nil
    }

    private func childPath(_ name: String) -> String {
        decoder.path.isEmpty ? name : "\(decoder.path).\(name)"
    }

    /// The decoder for a present entry; messages about a mapping or a list
    /// point at its key, about a scalar at the value.
    private func childDecoder(at index: Int) throws -> NodeDecoder {
        let value = record.values[index]
        guard decoder.report.spend(at: value.mark) else { throw RecordedDecodingFailure() }
        let mark: Mark?
        if case .scalar = value { mark = value.mark } else { mark = record.keyMarks[index] }
        return decoder.child(value, path: childPath(record.names[index]), mark: mark)
    }

    private func childDecoder(_ key: Key) throws -> NodeDecoder {
        guard let index = record.take(key.stringValue) else {
            decoder.report.error(at: decoder.node.mark, "\(NodeDecoder.display(childPath(key.stringValue))) is required",
                                 kind: .missingField(key.stringValue))
            throw RecordedDecodingFailure()
        }
        return try childDecoder(at: index)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let index = record.take(key.stringValue) else { return true }
        return record.values[index].isNull
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: childDecoder(key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let index = record.take(key.stringValue), !record.values[index].isNull else { return nil }
        do {
            return try T(from: childDecoder(at: index))
        } catch is RecordedDecodingFailure {
            return nil
        }
    }

    /// Optional scalar fields, the bulk of every manifest, are read here
    /// directly: one classification, no child decoder. A value of the wrong
    /// type goes through `fallback`, which reports it.
    private func scalar(_ key: Key) throws -> (value: ScalarValue, index: Int)? {
        guard let index = record.take(key.stringValue) else { return nil }
        let node = record.values[index]
        guard case .scalar(let scalar) = node else { return (.null, index) }
        let value = ScalarValue(scalar)
        if value == .null { return nil }
        guard decoder.report.spend(at: node.mark) else { throw RecordedDecodingFailure() }
        decoder.report.record(path: childPath(record.names[index]), mark: node.mark)
        return (value, index)
    }

    private func fallback<T: Decodable>(_ type: T.Type, _ found: (value: ScalarValue, index: Int)) throws -> T? {
        let node = record.values[found.index]
        do {
            return try T(from: NodeDecoder(node: node, path: childPath(record.names[found.index]), report: decoder.report))
        } catch is RecordedDecodingFailure {
            return nil
        }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let found = try scalar(key) else { return nil }
        if case .string(let value) = found.value { return value }
        return try fallback(type, found)
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let found = try scalar(key) else { return nil }
        if case .int(let value) = found.value { return value }
        return try fallback(type, found)
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let found = try scalar(key) else { return nil }
        if case .bool(let value) = found.value { return value }
        return try fallback(type, found)
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        guard let found = try scalar(key) else { return nil }
        switch found.value {
        case .int(let value): return Double(value)
        case .float(let value): return value
        default: return try fallback(type, found)
        }
    }

    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        guard let found = try scalar(key) else { return nil }
        if case .int(let value) = found.value, let narrow = Int32(exactly: value) { return narrow }
        return try fallback(type, found)
    }

    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        guard let found = try scalar(key) else { return nil }
        if case .int(let value) = found.value { return Int64(value) }
        return try fallback(type, found)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { try childDecoder(key) }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let elements: [Node]
    private(set) var currentIndex = 0

    init(decoder: NodeDecoder, elements: [Node]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            decoder.report.error(at: decoder.node.mark, "\(decoder.displayName) has fewer items than expected")
            throw RecordedDecodingFailure()
        }
        let node = elements[currentIndex]
        let child = decoder.child(node, path: "\(decoder.path)[\(currentIndex)]")
        currentIndex += 1
        guard decoder.report.spend(at: node.mark) else { throw RecordedDecodingFailure() }
        return child
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: next())
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let value)? = decoder.scalar else { throw decoder.mismatch(expected: "true or false") }
        return value
    }

    func decode(_ type: String.Type) throws -> String {
        // As in Kubernetes, an unquoted 8080 or true is a number or a boolean,
        // not a string: `value: "0"` in env needs its quotes.
        guard case .string(let value)? = decoder.scalar else { throw decoder.mismatch(expected: "a string (quote it)") }
        return value
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch decoder.scalar {
        case .int(let value)?: return Double(value)
        case .float(let value)?: return value
        default: throw decoder.mismatch(expected: "a number")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode(_ type: Int.Type) throws -> Int {
        guard case .int(let value)? = decoder.scalar else { throw decoder.mismatch(expected: "an integer") }
        return value
    }

    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decode(Int.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(Int16.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(UInt64.self) }

    private func narrow<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let value = try decode(Int.self)
        guard let narrowed = T(exactly: value) else {
            throw decoder.mismatch(expected: "an integer between \(T.min) and \(T.max)")
        }
        return narrowed
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: decoder)
    }
}
