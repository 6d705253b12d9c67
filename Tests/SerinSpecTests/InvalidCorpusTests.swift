import Foundation
import Testing
@testable import SerinSpec

/// Each file of Fixtures/invalid opens with `# expect: LINE:COL: message`
/// lines: exactly the errors `serin validate` must print for it, in order.
@Suite struct InvalidCorpusTests {
    @Test func theCorpusHasAtLeastFortyManifests() {
        #expect(Fixtures.files("invalid").count >= 40)
    }

    @Test(arguments: Fixtures.files("invalid"))
    func reportsExactlyTheExpectedErrors(_ path: String) throws {
        let name = Fixtures.name(path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = text.split(separator: "\n").prefix { $0.hasPrefix("#") }
            .compactMap { $0.hasPrefix("# expect: ") ? "\(name):" + $0.dropFirst("# expect: ".count) : nil }
        #expect(!expected.isEmpty, "\(name) has no # expect: lines")
        let manifests = ManifestLoader().load(data: Data(text.utf8), file: name)
        let printed = Validator(platform: .local).validate(manifests).errors.map(\.description)
        #expect(printed == expected)
    }
}
