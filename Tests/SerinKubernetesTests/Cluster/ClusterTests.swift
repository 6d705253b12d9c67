import Testing

/// The tests against the real apiserver, one at a time: one of them
/// compacts etcd, which would fail another's continue token, and an idle
/// informer's request count means something only when nothing else runs.
/// One test run at a time on the machine, too (`OneClusterRunAtATime`).
@Suite(.serialized, .oneClusterRunAtATime) enum ClusterTests {}
