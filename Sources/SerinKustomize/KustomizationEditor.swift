import Yams

/// Flux's `kustomize.Generator` (fluxcd/pkg `kustomize_generator.go`): the
/// kustomization at the source's path, generated when the folder has none,
/// with the source's fields written into it as kustomize-controller writes
/// them (the namespace, prefix and suffix replace the file's own; patches
/// and components are appended; an image of the same name is merged), plus
/// `buildMetadata: [originAnnotations]` so every built object says which
/// file it came from. Written into the build's private copy, never into the
/// snapshot.
enum KustomizationEditor {
    static let apiVersion = "kustomize.config.k8s.io/v1beta1"
    static let originAnnotations = "originAnnotations"

    /// The generated kustomization of a folder (Flux's
    /// `findOrGenerateKustomization`): its resources, or a placeholder
    /// namespace when there are none, so that kustomize does not refuse an
    /// empty kustomization.
    static func generated(resources: [String]) -> Node {
        var mapping: Node.Mapping = ["apiVersion": Node(apiVersion), "kind": "Kustomization"]
        if resources.isEmpty {
            mapping["namespace"] = "_placeholder"
        } else {
            mapping["resources"] = .sequence(Node.Sequence(resources.map { text($0) }))
        }
        return .mapping(mapping)
    }

    /// The kustomization with the options written in. Returns the text and
    /// whether the user's own file already asked for origin annotations
    /// (then they stay in the output, as with Flux).
    static func edit(_ kustomization: Node?, with options: KustomizeOptions) throws -> (text: String, userAskedForOrigins: Bool) {
        var mapping = kustomization?.mapping ?? Node.Mapping([])
        if let namespace = options.targetNamespace { mapping["namespace"] = text(namespace) }
        if let prefix = options.namePrefix { mapping["namePrefix"] = text(prefix) }
        if let suffix = options.nameSuffix { mapping["nameSuffix"] = text(suffix) }
        if !options.patches.isEmpty {
            var patches = mapping["patches"]?.sequence ?? Node.Sequence([])
            for patch in options.patches { patches.append(node(for: patch)) }
            mapping["patches"] = .sequence(patches)
        }
        if !options.components.isEmpty {
            var components = mapping["components"]?.sequence ?? Node.Sequence([])
            for component in options.components { components.append(text(component)) }
            mapping["components"] = .sequence(components)
        }
        if !options.images.isEmpty {
            mapping["images"] = .sequence(merge(options.images, into: mapping["images"]?.sequence ?? Node.Sequence([])))
        }
        var metadata = mapping["buildMetadata"]?.sequence ?? Node.Sequence([])
        let asked = metadata.contains { $0.string == originAnnotations }
        if !asked { metadata.append(Node(originAnnotations)) }
        mapping["buildMetadata"] = .sequence(metadata)
        return (try Yams.serialize(node: .mapping(mapping)), asked)
    }

    /// A string that reads back as a string whatever it holds (`"123"`,
    /// `"true"` are quoted), plain where that is unambiguous, as kustomize prints.
    static func text(_ value: String) -> Node {
        if value.contains("\n") { return Node(value, .implicit, .literal) }
        return Node(value, .implicit, isPlainString(value) ? .plain : .doubleQuoted)
    }

    private static func isPlainString(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        let words: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"]
        return !words.contains(value.lowercased()) && value.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._/-".unicodeScalars.contains($0)
        }
    }

    private static func node(for patch: KustomizeOptions.Patch) -> Node {
        var mapping: Node.Mapping = ["patch": text(patch.patch)]
        if let target = patch.target {
            var selector = Node.Mapping([])
            for (key, value) in [("group", target.group), ("version", target.version), ("kind", target.kind), ("name", target.name),
                                 ("namespace", target.namespace), ("labelSelector", target.labelSelector),
                                 ("annotationSelector", target.annotationSelector)] {
                if let value { selector[key] = text(value) }
            }
            mapping["target"] = .mapping(selector)
        }
        return .mapping(mapping)
    }

    /// Flux merges an image the kustomization already names: a new name
    /// replaces the name; a tag or a digest replaces both the tag and the
    /// digest (they choose the version together).
    private static func merge(_ images: [KustomizeOptions.Image], into existing: Node.Sequence) -> Node.Sequence {
        var result = existing
        for image in images {
            if let index = result.firstIndex(where: { $0["name"]?.string == image.name }), var entry = result[index].mapping {
                if let newName = image.newName, !newName.isEmpty { entry["newName"] = text(newName) }
                if image.newTag?.isEmpty == false || image.digest?.isEmpty == false {
                    entry["newTag"] = image.newTag.flatMap { $0.isEmpty ? nil : text($0) }
                    entry["digest"] = image.digest.flatMap { $0.isEmpty ? nil : text($0) }
                }
                result[index] = .mapping(entry)
            } else {
                var entry: Node.Mapping = ["name": text(image.name)]
                if let newName = image.newName { entry["newName"] = text(newName) }
                if let newTag = image.newTag { entry["newTag"] = text(newTag) }
                if let digest = image.digest { entry["digest"] = text(digest) }
                result.append(.mapping(entry))
            }
        }
        return result
    }
}
