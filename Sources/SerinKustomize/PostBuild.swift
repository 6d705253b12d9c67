import SerinSpec
import Yams

/// Reads the variables of a `substituteFrom` entry: a ConfigMap's `data` or
/// a Secret's decoded `data`, in the namespace the operator decides (Flux:
/// the Kustomization's own). Nil when the object does not exist.
public typealias SubstitutionLookup = @Sendable (KustomizeOptions.SubstituteReference) async throws -> [String: String]?

/// What kustomize-controller does to each built object after the build
/// (fluxcd/pkg `kustomize_varsub.go`, then `ssautil.SetCommonMetadata`):
/// variables substituted in the object's YAML unless it opts out with
/// `kustomize.toolkit.fluxcd.io/substitute: disabled` (a label or an
/// annotation), then the common labels and annotations set on its metadata.
struct PostBuildStep {
    static let optOutKey = "kustomize.toolkit.fluxcd.io/substitute"
    static let variablePattern = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"

    let options: KustomizeOptions
    let lookup: SubstitutionLookup?
    /// Where a failure to read variables is reported (the source's folder).
    let source: String

    func apply(to texts: [RenderedText]) async throws -> [RenderedText] {
        guard options.postBuild != nil || options.commonMetadata != nil else { return texts }
        let variables = try await self.variables()
        var result: [RenderedText] = []
        for var text in texts {
            if let postBuild = options.postBuild {
                text.yaml = try substitute(text, variables: variables, postBuild: postBuild)
            }
            if let common = options.commonMetadata {
                text.yaml = try Self.setting(common, on: text)
            }
            result.append(text)
        }
        return result
    }

    /// `substituteFrom` in order, then the inline `substitute` over them;
    /// newlines are removed from every value, as Flux removes them.
    func variables() async throws -> [String: String] {
        guard let postBuild = options.postBuild else { return [:] }
        var variables: [String: String] = [:]
        for reference in postBuild.substituteFrom {
            guard let lookup else {
                throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: source),
                                    "substitute from '\(reference)': no cluster to read it from")
            }
            let data: [String: String]?
            do {
                data = try await lookup(reference)
            } catch {
                throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: source),
                                    "substitute from '\(reference)' error: \(error)")
            }
            guard let data else {
                if reference.optional { continue }
                throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: source),
                                    "substitute from '\(reference)' error: not found; create it or mark the reference optional: true")
            }
            for (key, value) in data { variables[key] = value.replacingOccurrences(of: "\n", with: "") }
        }
        for (key, value) in postBuild.substitute { variables[key] = value.replacingOccurrences(of: "\n", with: "") }
        for name in variables.keys.sorted() where !KustomizeOptions.isVariableName(name) {
            throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: SourcePosition(file: source),
                                "'\(name)' var name is invalid, must match '\(Self.variablePattern)'")
        }
        return variables
    }

    private func substitute(_ text: RenderedText, variables: [String: String], postBuild: KustomizeOptions.PostBuild) throws -> String {
        guard !variables.isEmpty || postBuild.always else { return text.yaml }
        let root = try? Yams.compose(yaml: text.yaml)
        let metadata = root?["metadata"]
        if metadata?["labels"]?[Self.optOutKey]?.string == "disabled" || metadata?["annotations"]?[Self.optOutKey]?.string == "disabled" {
            return text.yaml
        }
        let object = "\(root?["kind"]?.string ?? "object")/\(metadata?["name"]?.string ?? "")"
        let position = text.origin?.document ?? SourcePosition(file: text.file)
        let output: String
        do {
            output = try EnvSubst.evaluate(text.yaml) { name in
                if postBuild.strict {
                    guard let value = variables[name] else { return ("", false) }
                    return (value, true)
                }
                return (variables[name] ?? "", true)
            }
        } catch let failure as EnvSubst.Failure {
            throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: position,
                                "post build failed for '\(object)': envsubst error: variable substitution failed: \(failure)")
        }
        do {
            guard case .mapping? = try Yams.compose(yaml: output) else { throw EnvSubst.Failure(description: "not a mapping") }
        } catch {
            throw RenderFailure(reason: KustomizeRenderer.buildFailed, at: position,
                                "post build failed for '\(object)': the substituted YAML is invalid: \(error)")
        }
        return output
    }

    /// Flux sets the labels and annotations on the object's own metadata
    /// only (not on selectors or pod templates), over the object's values.
    static func setting(_ common: KustomizeOptions.CommonMetadata, on text: RenderedText) throws -> String {
        guard case .mapping(var object)? = try Yams.compose(yaml: text.yaml) else { return text.yaml }
        var metadata = object["metadata"]?.mapping ?? Node.Mapping([])
        for (field, values) in [("labels", common.labels), ("annotations", common.annotations)] where !values.isEmpty {
            var mapping = metadata[field]?.mapping ?? Node.Mapping([])
            for key in values.keys.sorted() { mapping[key] = KustomizationEditor.text(values[key]!) }
            metadata[field] = .mapping(mapping)
        }
        object["metadata"] = .mapping(metadata)
        return try Yams.serialize(node: .mapping(object))
    }
}
