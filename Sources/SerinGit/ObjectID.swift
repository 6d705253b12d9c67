import CLibGit2

/// A Git object id (SHA-1), as 40 lower-case hex digits.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let hex: String

    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        self.hex = hex
    }

    init(_ oid: git_oid) {
        var oid = oid
        var buffer = [CChar](repeating: 0, count: 40)
        git_oid_fmt(&buffer, &oid)
        hex = String(decoding: buffer.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    var raw: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    public var description: String { hex }
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }
}

/// Who wrote or committed a commit, and when.
public struct Signature: Hashable, Sendable, Codable {
    public var name: String
    public var email: String
    /// Seconds since 1970.
    public var time: Int64

    init(_ signature: UnsafePointer<git_signature>?) {
        name = signature?.pointee.name.map { String(cString: $0) } ?? ""
        email = signature?.pointee.email.map { String(cString: $0) } ?? ""
        time = signature?.pointee.when.time ?? 0
    }
}

/// The audit-trail facts of a commit.
public struct CommitInfo: Hashable, Sendable {
    public var id: ObjectID
    public var author: Signature
    public var committer: Signature
    public var message: String
    /// The commit's root tree.
    public var tree: ObjectID
}

/// One ref as the remote advertises it.
public struct RemoteHead: Hashable, Sendable {
    public var name: String
    public var target: ObjectID
}
