/// Flagger's webhook `checksum` (`pkg/controller/webhook.go`
/// `canaryChecksum`): `canary.ComputeHash` of the Canary's tracked configs
/// and last applied spec, which is FNV-1a 32 over go-spew's `%#v` of that
/// struct (keys sorted), its decimal digits mapped through Kubernetes'
/// `rand.SafeEncodeString`. A hook that compares checksums between calls
/// sees the same value Flagger would send for the same status.
public enum FlaggerChecksum {
    public static func canary(trackedConfigs: [String: String]?, lastAppliedSpec: String) -> String {
        let tracked = trackedConfigs.map { configs in
            "map[" + configs.keys.sorted().map { "\($0):\(configs[$0]!)" }.joined(separator: " ") + "]"
        } ?? "<nil>"
        let text = "(struct { TrackedConfigs *map[string]string; LastAppliedSpec string }){TrackedConfigs:(*map[string]string)"
            + tracked + " LastAppliedSpec:(string)" + lastAppliedSpec + "}"
        return safeEncode(String(fnv32a(text)))
    }

    static func fnv32a(_ text: String) -> UInt32 {
        text.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    }

    /// k8s.io/apimachinery `rand.SafeEncodeString`.
    static func safeEncode(_ text: String) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(text.unicodeScalars.map { alphabet[Int($0.value) % alphabet.count] })
    }
}
