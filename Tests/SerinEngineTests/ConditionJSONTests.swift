import Foundation
import Testing
@testable import SerinEngine

/// Conditions in the API read as Kubernetes and Flux write them.
@Suite struct ConditionJSONTests {
    @Test func lastTransitionTimeIsRFC3339() throws {
        let condition = Condition(type: "Ready", status: .false, reason: "ValidationFailed", message: "x",
                                  lastTransitionTime: 1_767_225_845.75, observedRevision: "main@sha1:1")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(condition)) as? [String: Any]
        #expect(json?["lastTransitionTime"] as? String == "2026-01-01T00:04:05Z")
        let decoded = try JSONDecoder().decode(Condition.self, from: JSONEncoder().encode(condition))
        #expect(decoded.lastTransitionTime == 1_767_225_845)
        #expect(decoded.observedRevision == "main@sha1:1")
    }

    /// State saved by earlier versions held seconds since 1970; Kubernetes may write fractions.
    @Test func readsSecondsAndFractions() throws {
        let old = #"{"type":"Ready","status":"True","reason":"Succeeded","message":"","lastTransitionTime":12.5}"#
        #expect(try JSONDecoder().decode(Condition.self, from: Data(old.utf8)).lastTransitionTime == 12.5)
        let fraction = #"{"type":"Ready","status":"True","reason":"Succeeded","message":"","lastTransitionTime":"1970-01-01T00:00:12.5Z"}"#
        #expect(try JSONDecoder().decode(Condition.self, from: Data(fraction.utf8)).lastTransitionTime == 12.5)
        let bad = #"{"type":"Ready","status":"True","reason":"Succeeded","message":"","lastTransitionTime":"yesterday"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Condition.self, from: Data(bad.utf8)) }
    }
}
