/// Which side of a workload's traffic split an instance serves.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case primary
    case canary

    public var description: String { rawValue }
}
