import Hummingbird

/// Checks `Authorization: Bearer TOKEN` for the mutating endpoints.
struct BearerToken: Sendable {
    /// Nil: no token configured, so every mutating call is refused.
    let expected: [UInt8]?

    init(_ token: String?) {
        expected = token.map { Array($0.utf8) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    func authorize(_ request: Request) throws(APIError) {
        guard let expected else {
            throw .unauthorized("the API has no token: set api.tokenFile in serin.yaml to allow commands")
        }
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("missing Authorization: Bearer token")
        }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else {
            throw .unauthorized("the Authorization header is not a Bearer token")
        }
        let presented = Array(header.dropFirst(scheme.count).utf8)
        guard Self.constantTimeEquals(presented, expected) else {
            throw .unauthorized("wrong token")
        }
    }

    /// Compares in time that depends on the expected token's length only, so
    /// response times do not tell an attacker how many leading bytes were right.
    static func constantTimeEquals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = presented.count ^ expected.count
        for index in expected.indices {
            let byte = index < presented.count ? presented[index] : 0
            difference |= Int(byte ^ expected[index])
        }
        return difference == 0
    }
}
