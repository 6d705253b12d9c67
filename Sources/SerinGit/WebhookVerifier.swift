import Crypto
import Foundation

/// Checks that a Git webhook call comes from the forge that knows the
/// secret: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the body), GitLab's
/// `X-Gitlab-Token`, or a generic `X-Signature: sha256=<hex>`. Every
/// comparison takes the same time whatever the input; SHA-1 is refused.
public struct WebhookVerifier: Sendable {
    public struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    private let secret: SymmetricKey
    private let secretBytes: Data

    public init(secret: Data) {
        self.secret = SymmetricKey(data: secret)
        self.secretBytes = secret
    }

    /// Reads the secret from a file; a trailing newline is not part of it.
    public init(secretFile: String) throws {
        guard var data = FileManager.default.contents(atPath: secretFile) else {
            throw Rejection(reason: "\(secretFile): cannot read the webhook secret file")
        }
        while let last = data.last, last == 0x0A || last == 0x0D { data.removeLast() }
        guard !data.isEmpty else { throw Rejection(reason: "\(secretFile): the webhook secret is empty") }
        self.init(secret: data)
    }

    /// `headers` with lower-case names.
    public func verify(headers: [String: String], body: Data) -> Result<Void, Rejection> {
        if let signature = headers["x-hub-signature-256"] {
            return checkHMAC(signature, body, header: "X-Hub-Signature-256")
        }
        if headers["x-hub-signature"] != nil {
            return .failure(Rejection(reason: "X-Hub-Signature (SHA-1) is refused; configure the webhook to send X-Hub-Signature-256"))
        }
        if let token = headers["x-gitlab-token"] {
            // Hash both sides first so the comparison's length is fixed.
            let given = SHA256.hash(data: Data(token.utf8))
            let expected = SHA256.hash(data: secretBytes)
            return Self.constantTimeEqual(Data(given), Data(expected)) ? .success(()) : .failure(Rejection(reason: "X-Gitlab-Token does not match"))
        }
        if let signature = headers["x-signature"] {
            return checkHMAC(signature, body, header: "X-Signature")
        }
        return .failure(Rejection(reason: "no signature: expected X-Hub-Signature-256, X-Gitlab-Token or X-Signature"))
    }

    private func checkHMAC(_ value: String, _ body: Data, header: String) -> Result<Void, Rejection> {
        guard value.hasPrefix("sha256="), let mac = Data(hex: String(value.dropFirst(7))), mac.count == 32 else {
            return .failure(Rejection(reason: "\(header) must be sha256=<64 hex digits>"))
        }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: secret) else {
            return .failure(Rejection(reason: "\(header) does not match the body"))
        }
        return .success(())
    }

    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// `sha256=<hex>` for a body, as a forge would send it (for tests and tools).
    public func signature(for body: Data) -> String {
        "sha256=" + Data(HMAC<SHA256>.authenticationCode(for: body, using: secret)).map { String(format: "%02x", $0) }.joined()
    }
}

extension Data {
    init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count % 2 == 0 else { return nil }
        var data = Data(capacity: bytes.count / 2)
        var index = 0
        while index < bytes.count {
            guard let high = Self.nibble(bytes[index]), let low = Self.nibble(bytes[index + 1]) else { return nil }
            data.append(high << 4 | low)
            index += 2
        }
        self = data
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        case 65...70: return byte - 55
        default: return nil
        }
    }
}
