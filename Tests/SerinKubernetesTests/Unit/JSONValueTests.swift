import Foundation
import Testing

@testable import SerinKubernetes
import SerinSpec

@Suite struct JSONValueTests {
    /// A pod template copied through JSONValue comes out the same: integers
    /// stay integers, nothing is dropped.
    @Test func roundTrip() throws {
        let text = #"{"a":1,"b":-2.5,"c":"x","d":[true,null,{"e":9007199254740993}],"f":{}}"#
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(json["a"] == .int(1))
        #expect(json["b"] == .double(-2.5))
        #expect(json["d"]?.arrayValue?[2]["e"] == .int(9_007_199_254_740_993))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(json), as: UTF8.self) == text)
    }

    /// Typed values get apiVersion and kind from their resource when sent.
    @Test func envelopeAddsApiVersionAndKind() throws {
        let deployment = Deployment(metadata: ObjectMeta(name: "web", namespace: "n"), spec: .init(replicas: 2))
        let json = try JSONValue(encoding: ObjectEnvelope(kind: Deployment.resourceKind, object: deployment))
        #expect(json["apiVersion"] == "apps/v1")
        #expect(json["kind"] == "Deployment")
        #expect(json["metadata"]?["name"] == "web")
        #expect(json["spec"] == ["replicas": 2])
        #expect(json["status"] == nil)
    }

    /// An untyped object keeps its own apiVersion and kind.
    @Test func envelopeKeepsAnObjectsOwnKind() throws {
        let object = KubeObject(apiVersion: "example.com/v2", kind: "Thing", metadata: ObjectMeta(name: "t"), content: ["spec": ["x": 1]])
        let kind = ResourceKind(group: "example.com", version: "v2", kind: "Thing", plural: "things", namespaced: true)
        let json = try JSONValue(encoding: ObjectEnvelope(kind: kind, object: object))
        #expect(json == ["apiVersion": "example.com/v2", "kind": "Thing", "metadata": ["name": "t"], "spec": ["x": 1]])
        #expect(try JSONValue(encoding: try json.decode(KubeObject.self)) == json)
    }

    @Test func manifests() throws {
        let yaml = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              labels: {app: web}
            data:
              port: "8080"
            ---
            # nothing here
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 3
              paused: false
            """
        let objects = try KubeObject.manifests(yaml: yaml)
        #expect(objects.map(\.kind) == ["ConfigMap", "Deployment"])
        #expect(objects[0].metadata.labels == ["app": "web"])
        #expect(objects[0]["data"] == ["port": "8080"])
        #expect(objects[1]["spec"] == ["replicas": 3, "paused": false])
        #expect(throws: KubernetesPlatformError.self) { try KubeObject.manifests(yaml: "metadata: {name: x}") }
    }

    @Test func paths() {
        #expect(ConfigMap.resourceKind.path(namespace: "n", name: "a") == "/api/v1/namespaces/n/configmaps/a")
        #expect(ConfigMap.resourceKind.path(namespace: nil) == "/api/v1/configmaps")
        #expect(Namespace.resourceKind.path(namespace: "ignored", name: "n") == "/api/v1/namespaces/n")
        #expect(Canary.resourceKind.path(namespace: "n", name: "c", subresource: "status")
            == "/apis/flagger.app/v1beta1/namespaces/n/canaries/c/status")
        #expect(HTTPRouteV1Beta1.resourceKind.apiVersion == "gateway.networking.k8s.io/v1beta1")
        #expect(HTTPRoute.resourceKind.apiVersion == "gateway.networking.k8s.io/v1")
        #expect(PathEncoding.query([("labelSelector", "app in (a,b),!canary"), ("limit", "2")])
            == "labelSelector=app%20in%20%28a%2Cb%29%2C%21canary&limit=2")
        #expect(ResourceKind.split(apiVersion: "apps/v1") == ("apps", "v1"))
        #expect(ResourceKind.split(apiVersion: "v1") == ("", "v1"))
    }
}

@Suite struct OtherMembersTests {
    /// A Service spec keeps the members it does not name, in and out.
    @Test func serviceSpecRoundTrip() throws {
        let text = #"{"clusterIP":"10.0.0.1","externalTrafficPolicy":"Local","ipFamilies":["IPv4"],"ports":[{"port":80}],"selector":{"app":"web"}}"#
        let spec = try JSONDecoder().decode(Service.Spec.self, from: Data(text.utf8))
        #expect(spec.selector == ["app": "web"])
        #expect(spec.other == ["externalTrafficPolicy": "Local", "ipFamilies": ["IPv4"]])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(spec), as: UTF8.self) == text)
    }

    /// `KubeObject.json` (what a resync compares, without a trip through
    /// JSON text) is the value the object encodes to.
    @Test func anObjectsJSONIsWhatItEncodesTo() throws {
        let text = #"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"shop","labels":{"app":"web"},"resourceVersion":"42","generation":7,"uid":"u",
                         "annotations":{"a":"b"},"finalizers":["f"],"creationTimestamp":"2026-12-07T00:00:00Z",
                         "ownerReferences":[{"apiVersion":"flagger.app/v1beta1","kind":"Canary","name":"web","uid":"c","controller":true}],
                         "managedFields":[{"manager":"serin","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
             "spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"app","image":"web:1","resources":{"limits":{"cpu":0.5}}}]}}},
             "status":{"readyReplicas":3,"conditions":[{"type":"Available","status":"True"}]}}
            """#
        let object = try JSONDecoder().decode(KubeObject.self, from: Data(text.utf8))
        let json = object.json
        #expect(json == (try JSONValue(encoding: object)))
        #expect(json["metadata"]?["managedFields"] == nil, "never written back, so never encoded")
        #expect(json["metadata"]?["labels"] == ["app": "web"])
        #expect(json["spec"]?["replicas"] == .int(3))
        // Empty apiVersion and kind are left out, as encoding leaves them out.
        let bare = KubeObject(apiVersion: "", kind: "", metadata: ObjectMeta(name: "x"), content: ["data": ["k": "v"]])
        #expect(bare.json == (try JSONValue(encoding: bare)))
        #expect(bare.json["apiVersion"] == nil)
    }
}
