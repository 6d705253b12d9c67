import Crypto
import Foundation

/// Everything one build reads, vetted: the files (by repository path), the
/// kustomization to write at the source's folder, and the key they hash to.
/// Two builds with the same key print the same objects, so the key is what
/// the cache is addressed by: a commit that changes only other paths, or
/// nothing this build reads, has the same key.
struct PreparedBuild: Sendable {
    /// The source's folder inside the repository.
    var directory: String
    /// The name of the kustomization written there (the user's own name, or
    /// `kustomization.yaml` when generated).
    var kustomizationName: String
    /// Its text: the user's file or Flux's generated one, with the source's
    /// fields and `buildMetadata: [originAnnotations]` written in.
    var kustomizationText: String
    /// The user's kustomization file, where build failures point; nil when generated.
    var userKustomization: String?
    var files: [String: Data]
    /// The user's kustomization asked for origin annotations: they stay.
    var keepOrigins: Bool
    var key: String

    init(directory: String, kustomizationName: String, kustomizationText: String, userKustomization: String?,
         files: [String: Data], keepOrigins: Bool, kustomizeVersion: String) {
        self.directory = directory
        self.kustomizationName = kustomizationName
        self.kustomizationText = kustomizationText
        self.userKustomization = userKustomization
        self.files = files
        self.keepOrigins = keepOrigins
        var hash = SHA256()
        func add(_ text: String) {
            hash.update(data: Data(text.utf8))
            hash.update(data: Data([0]))
        }
        add("serin-kustomize/1")
        add(kustomizeVersion)
        add(directory)
        add(kustomizationName)
        add(kustomizationText)
        add(keepOrigins ? "keep" : "strip")
        for path in files.keys.sorted() {
            add(path)
            add(String(files[path]!.count))
            hash.update(data: files[path]!)
        }
        key = hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Where a failure of the whole build is reported.
    var failurePosition: String {
        userKustomization ?? (directory.isEmpty ? "." : directory)
    }
}
