import Foundation

/// The one digest of content in Serin: FNV-1a, 64 bits, over a value's
/// canonical JSON (keys sorted). Identity, not secrecy: stable across
/// processes and versions, so a revision id, a plan's digest or an
/// inventory entry computed today matches the one saved yesterday.
public enum ContentDigest {
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
    }

    /// Sixteen hex digits.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let hex = String(fnv1a64(bytes), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Sixteen hex digits of `value`'s canonical JSON.
    public static func hex(of value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return hex(try encoder.encode(value))
    }
}
