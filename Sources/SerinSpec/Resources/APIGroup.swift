/// The apiVersions and kinds Serin reads.
public enum APIGroup {
    public static let serin = "serin.dev"
    public static let flagger = "flagger.app"
    public static let serinVersion = "serin.dev/v1alpha1"
    public static let flaggerVersion = "flagger.app/v1beta1"

    public static let serinKinds = ["Workload", "Canary", "MetricTemplate", "AlertProvider", "Strategy"]
    public static let flaggerKinds = ["Canary", "MetricTemplate", "AlertProvider"]
}
