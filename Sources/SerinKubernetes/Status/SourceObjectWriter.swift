import Foundation
import Logging
import SerinEngine
import SerinSpec

/// Writes each source's status to its `sources.serin.dev` object (what
/// `serin get sources` shows), only when something but the time of the
/// last poll changed: a steady source costs no write per interval.
public actor SourceObjectWriter {
    public static let fieldManager = "serin-status"

    private let client: KubeClient
    private let namespace: String
    private let logger: Logger
    /// What was last written per source (without the poll time).
    private var written: [String: JSONValue] = [:]
    private var warned = false

    public init(client: KubeClient, namespace: String, logger: Logger = Logger(label: "serin.sources")) {
        self.client = client
        self.namespace = namespace
        self.logger = logger
    }

    /// The object of `report`'s source, made or brought up to date.
    public func write(_ report: SourceStatusReport) async {
        let status = Self.status(report)
        var compared = status
        compared["lastSyncTime"] = nil
        guard written[report.name] != compared else { return }
        let resources = client.resources(SourceCRD.resourceKind)
        do {
            let metadata: JSONValue = ["name": .string(Self.objectName(report.name)), "namespace": .string(namespace),
                                       "labels": .object(["app.kubernetes.io/managed-by": "serin", ClusterSync.sourceLabel: .string(report.name)])]
            let spec: JSONValue = ["source": .string(report.name), "url": .string(report.url), "ref": .string(report.ref), "path": .string(report.path)]
            if written[report.name] == nil {
                _ = try await resources.apply(try KubeObject(json: ["apiVersion": "serin.dev/v1alpha1", "kind": "Source", "metadata": metadata, "spec": spec]),
                                              fieldManager: ClusterSync.fieldManager, force: true)
            }
            _ = try await resources.applyStatus(try KubeObject(json: ["apiVersion": "serin.dev/v1alpha1", "kind": "Source", "metadata": metadata,
                                                                      "status": status]),
                                                fieldManager: Self.fieldManager, force: true)
            written[report.name] = compared
        } catch {
            // Once per run at warning level: a namespaced install without the CRD keeps working.
            if !warned {
                logger.warning("the status of source \(report.name) is not written to \(SourceCRD.name) (is the CRD installed, may Serin write it?): \(error)")
                warned = true
            }
        }
    }

    /// Deletes the objects of sources no longer configured.
    public func removeOthers(than sources: Set<String>) async {
        guard let objects = try? await client.resources(SourceCRD.resourceKind).list(namespace: namespace, labelSelector: "app.kubernetes.io/managed-by=serin").items
        else { return }
        for object in objects {
            guard let source = object.metadata.labels?[ClusterSync.sourceLabel], !sources.contains(source) else { continue }
            _ = try? await client.resources(SourceCRD.resourceKind).deleteIfPresent(object.metadata.name ?? "", namespace: namespace)
        }
    }

    /// A DNS name: a source named `Apps_1` is object `apps-1`.
    static func objectName(_ source: String) -> String {
        String(source.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
    }

    static func time(_ seconds: Double?) -> JSONValue {
        guard let seconds else { return .null }
        return .string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds)))
    }

    /// The status as `kubectl get -o yaml` shows it (times in RFC 3339).
    static func status(_ report: SourceStatusReport) -> JSONValue {
        var status: [String: JSONValue] = [
            "revision": report.revision.map(JSONValue.string) ?? .null,
            "shortRevision": .string(short(report.revision) + (report.pin != nil ? " (pinned)" : "")),
            "lastAppliedRevision": report.lastAppliedRevision.map(JSONValue.string) ?? .null,
            "lastAttemptedRevision": report.lastAttemptedRevision.map(JSONValue.string) ?? .null,
            "lastSyncTime": time(report.lastSyncTime),
            "suspended": .bool(report.suspension != nil),
            "inventory": report.inventory.map { .int(Int64($0)) } ?? .null,
            "errors": .array(report.errors.map(JSONValue.string)),
            "warnings": .array(report.warnings.map(JSONValue.string)),
            "conditions": .array(report.conditions.map { condition in
                var value: [String: JSONValue] = ["type": .string(condition.type), "status": .string(condition.status.rawValue),
                                                  "reason": .string(condition.reason), "message": .string(condition.message),
                                                  "lastTransitionTime": time(condition.lastTransitionTime)]
                if let revision = condition.observedRevision { value["observedRevision"] = .string(revision) }
                return .object(value)
            }),
        ]
        if let commit = report.commit {
            status["commit"] = ["id": .string(commit.id), "subject": .string(commit.subject), "author": .string(commit.author), "time": time(commit.time)]
        }
        if let suspension = report.suspension {
            status["suspension"] = ["by": suspension.by.map(JSONValue.string) ?? .null, "time": time(suspension.time),
                                    "fromConfiguration": .bool(suspension.fromConfiguration)]
        }
        if let pin = report.pin {
            status["pin"] = ["revision": .string(pin.revision), "by": pin.by.map(JSONValue.string) ?? .null, "time": time(pin.time)]
        }
        return .object(status.filter { $0.value != .null })
    }

    /// `main@sha1:<40 hex>` → `main@<12 hex>`.
    static func short(_ revision: String?) -> String {
        guard let revision else { return "-" }
        guard let range = revision.range(of: "sha1:") else { return revision }
        return String(revision[..<range.lowerBound]) + String(revision[range.upperBound...].prefix(12))
    }
}
