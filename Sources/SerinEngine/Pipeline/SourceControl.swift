/// What a person can do to a source, as Flux users do to a Kustomization:
/// suspend and resume it, reconcile it now, preview it (`diff`), roll it
/// back to an earlier revision (a pin, until it is removed).
public enum SourceCommand: String, Sendable, CaseIterable, Codable {
    case suspend, resume, reconcile, rollback, unpin
}

/// The outcome of a source command, as the API answers it.
public enum SourceCommandOutcome: Sendable, Equatable {
    case accepted(String)
    case unknownSource
    /// Makes no sense as the source stands (resume what runs, an unknown revision).
    case conflict(String)
    /// Not on this platform, or not by this operator.
    case unsupported(String)
}

/// A source held: nothing is fetched, applied, corrected or pruned until it is resumed.
public struct SourceSuspension: Sendable, Codable, Equatable {
    /// Who suspended it (`serin suspend` sends $USER); nil when not said.
    public var by: String?
    /// Seconds since 1970.
    public var time: Double
    /// `suspend: true` in serin.yaml.
    public var fromConfiguration: Bool

    public init(by: String?, time: Double, fromConfiguration: Bool = false) {
        self.by = by
        self.time = time
        self.fromConfiguration = fromConfiguration
    }

    public var description: String {
        fromConfiguration ? "suspended by serin.yaml (suspend: true)" : "suspended" + (by.map { " by \($0)" } ?? "")
    }
}

/// A source held at an earlier revision (`serin rollback`), until unpinned.
public struct SourcePin: Sendable, Codable, Equatable {
    /// As the history names it (`main@sha1:<40 hex>`).
    public var revision: String
    /// The commit's full id.
    public var commit: String
    public var by: String?
    public var time: Double

    public init(revision: String, commit: String, by: String?, time: Double) {
        self.revision = revision
        self.commit = commit
        self.by = by
        self.time = time
    }
}

/// One revision given to a source's targets and what came of it, for
/// `serin history source NAME`: a new commit, a reconcile, a rollback, and
/// a change of outcome (applied, refused, unhealthy) each make a row.
public struct SourceHistoryEntry: Sendable, Codable, Equatable {
    public var revision: String
    public var commit: String?
    public var subject: String?
    public var author: String?
    /// Seconds since 1970 the targets answered.
    public var time: Double
    /// `applied`, or the failing stage's reason and message (`ApplyFailed: …`).
    public var result: String
    /// `git` (a commit came), `reconcile by alice`, `rollback by alice`, `unpin by alice`, `resume by alice`.
    public var trigger: String

    public init(revision: String, commit: String?, subject: String?, author: String?, time: Double, result: String, trigger: String) {
        self.revision = revision
        self.commit = commit
        self.subject = subject
        self.author = author
        self.time = time
        self.result = result
        self.trigger = trigger
    }

    public var succeeded: Bool { result == "applied" }
}

/// What `serin diff SOURCE` shows: what applying the source's revision in
/// force would change in the cluster.
public struct SourceDiff: Sendable, Codable, Equatable {
    public struct Object: Sendable, Codable, Equatable {
        public enum Action: String, Sendable, Codable {
            case create, change, prune, keep, refused
        }

        /// `Kind namespace/name`.
        public var object: String
        public var action: Action
        /// A unified diff of the object's YAML, live → after the apply.
        public var diff: String
        /// Why (a refusal's reason, a prune's condition).
        public var message: String?

        public init(object: String, action: Action, diff: String, message: String? = nil) {
            self.object = object
            self.action = action
            self.diff = diff
            self.message = message
        }
    }

    public var source: String
    public var revision: String?
    public var objects: [Object]

    public init(source: String, revision: String?, objects: [Object]) {
        self.source = source
        self.revision = revision
        self.objects = objects
    }
}

/// The answer to a diff request.
public enum SourceDiffOutcome: Sendable, Equatable {
    case diff(SourceDiff)
    case unknownSource
    /// Nothing to compare yet (no valid revision), or not on this platform.
    case unavailable(String)
}
