/// The built-in strategies (the YAML files beside this file), compiled into
/// the binary by SwiftPM (`.embedInCode` in Package.swift); SerinSpec reads
/// them as `BuiltinStrategies`.
public enum BuiltinStrategyFiles {
    public static let all: [(file: String, bytes: [UInt8])] = [
        ("strategies/ab-testing.yaml", PackageResources.ab_testing_yaml),
        ("strategies/blue-green.yaml", PackageResources.blue_green_yaml),
        ("strategies/canary-exponential.yaml", PackageResources.canary_exponential_yaml),
        ("strategies/canary.yaml", PackageResources.canary_yaml),
        ("strategies/mirror-then-canary.yaml", PackageResources.mirror_then_canary_yaml),
    ]
}
