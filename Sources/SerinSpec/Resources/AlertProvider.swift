/// Where notifications go (Flagger's AlertProvider).
public struct AlertProviderSpec: Sendable, Hashable, Decodable {
    public var type: String?
    public var channel: String?
    public var username: String?
    public var address: String?
    public var proxy: String?
    public var secretRef: NameReference?

    public init() {}
}

public enum AlertProviderType: String, Sendable, CaseIterable {
    case slack, msteams, discord, rocket, gchat
    /// Serin only: a JSON POST of the event to `address`.
    case generic
}
