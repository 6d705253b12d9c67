/// Where resources will run; decides which fields are ignored and say so.
public enum PlatformKind: String, Sendable, Hashable, Codable, CaseIterable {
    case local
    case kubernetes
}
