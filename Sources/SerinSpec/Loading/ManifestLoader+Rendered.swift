extension ManifestLoader {
    /// The validate stage's reader: every rendered text parsed once, with
    /// the positions of every field. A text made by a renderer (a build, a
    /// template) has its positions taken back to the file it came from.
    public func load(_ rendered: RenderedSource) -> Manifests {
        var manifests = Manifests()
        manifests.diagnostics = rendered.diagnostics
        var seen: Set<String> = []
        for text in rendered.texts {
            var loaded = load(text: text.yaml, file: text.file)
            if let origin = text.origin {
                loaded.trace(to: origin, fields: FieldPositions.documents(in: text.yaml, file: text.file, keys: true).flatMap(\.fields))
            }
            loaded.files = loaded.files.filter { seen.insert($0).inserted }
            manifests.append(contentsOf: loaded)
        }
        return manifests
    }
}

extension Manifests {
    /// Positions in a rendered text replaced by where each field was
    /// written in the origin's file: the field itself when it was written
    /// there, else its nearest written ancestor, else the origin's document.
    /// `fields`: every field of the rendered text found from the YAML
    /// alone, so that findings on a document the typed reader refused are
    /// traced too.
    mutating func trace(to origin: SourceMap, fields: [(String, SourcePosition)] = []) {
        var fieldAt: [SourcePosition: String] = [:]
        func map(_ source: inout SourceMap) {
            for (path, position) in source.positions where fieldAt[position] == nil { fieldAt[position] = path }
            source = SourceMap(file: origin.file, document: origin.document,
                               positions: Dictionary(uniqueKeysWithValues: source.positions.keys.map { ($0, origin.position($0)) }))
        }
        for index in workloads.indices { map(&workloads[index].source) }
        for index in canaries.indices { map(&canaries[index].source) }
        for index in metricTemplates.indices { map(&metricTemplates[index].source) }
        for index in alertProviders.indices { map(&alertProviders[index].source) }
        for index in strategies.indices { map(&strategies[index].source) }
        for index in plain.indices { map(&plain[index].source) }
        for index in objects.indices { map(&objects[index].source) }
        for (path, position) in fields where fieldAt[position] == nil { fieldAt[position] = path }
        // Every finding of this text was about the rendered text.
        for index in diagnostics.indices {
            diagnostics[index].position = fieldAt[diagnostics[index].position].map(origin.position) ?? origin.document
        }
        files = [origin.file]
    }
}
