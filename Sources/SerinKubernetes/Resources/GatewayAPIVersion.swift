/// Which Gateway API version an `HTTPRoute` is read and written in.
public protocol GatewayAPIVersion: Sendable {
    static var version: String { get }
}

public enum GatewayV1: GatewayAPIVersion {
    public static let version = "v1"
}

public enum GatewayV1Beta1: GatewayAPIVersion {
    public static let version = "v1beta1"
}
