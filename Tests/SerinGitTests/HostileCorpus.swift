import Foundation
import SerinTesting
import Testing

/// Repositories a committer (or whoever can push to a server that does not
/// fsck what it receives) could serve: tree shapes, link shapes and YAML
/// bombs. Each is written as real Git objects and served by a real Git
/// server; `HostileTreeTests` polls and snapshots it as the operator does.
/// The source's path is `deploy`.
struct HostileCase: Sendable, CustomTestStringConvertible {
    typealias Node = HostileGitRepository.Node

    enum Outcome: Sendable {
        /// Reading the source's path refuses the commit; the message holds the text.
        case readRefused(String)
        /// The manifests are read but invalid; a diagnostic holds the text.
        case invalid(String)
        /// Read and valid, but the snapshot is refused.
        case snapshotRefused(String)
        /// Read, valid and snapshotted.
        case accepted
        /// The Git server itself will not send it (git pack-objects stops):
        /// the fetch fails and nothing is written.
        case unfetchable
    }

    var name: String
    var tree: [(String, Node)]
    var outcome: Outcome

    var testDescription: String { name }

    static let workload = """
        apiVersion: serin.dev/v1alpha1
        kind: Workload
        metadata: { name: web }
        spec:
          replicas: 1
          service: { port: 18080 }
          template: { command: ["python3", "app.py"], workingDir: app }

        """

    /// The source's path with a valid Workload, plus `extra` entries in it.
    static func deploy(_ extra: [(String, Node)] = []) -> (String, Node) {
        ("deploy", .tree([("web.yaml", .file(workload))] + extra))
    }

    static let app: (String, Node) = ("app", .tree([("app.py", .file("print('hi')\n"))]))

    /// `a/b/up` leads back to the root: lexically harmless, physically a way up.
    static let upChain: (String, Node) = ("a", .tree([("b", .tree([("up", .link("../.."))]))]))

    static let billionLaughs = """
        apiVersion: v1
        kind: ConfigMap
        metadata: { name: lol }
        data:
          a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
          b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
          c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
          d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
          e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
          f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
          g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
          h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
          i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]

        """

    static let all: [HostileCase] = [
        // Tree entry names.
        HostileCase(name: "a `..` entry under the path", tree: [deploy([("..", .tree([("pwned.yaml", .file("kind: x\n"))]))]), app],
                    outcome: .readRefused("\"..\"")),
        HostileCase(name: "a `..` entry outside the path", tree: [deploy(), app, ("..", .tree([("pwned", .file("x"))]))],
                    outcome: .snapshotRefused("\"..\"")),
        HostileCase(name: "a `..` file at the root", tree: [deploy(), app, ("..", .file("x"))], outcome: .snapshotRefused("\"..\"")),
        HostileCase(name: "a `.` entry", tree: [deploy([(".", .tree([("x.yaml", .file("kind: x\n"))]))]), app], outcome: .readRefused("\".\"")),
        HostileCase(name: "a `.git` folder", tree: [deploy(), app, (".git", .tree([("config", .file("[core]\n\tfsmonitor = touch /tmp/pwned\n"))]))],
                    outcome: .snapshotRefused("\".git\"")),
        HostileCase(name: "a `.GIT` folder", tree: [deploy(), app, (".GIT", .tree([("hooks", .tree([("post-checkout", .file("#!/bin/sh\n", executable: true))]))]))],
                    outcome: .snapshotRefused("\".GIT\"")),
        HostileCase(name: "a `.Git` file under the path", tree: [deploy([(".Git", .file("x"))]), app], outcome: .readRefused("\".Git\"")),
        HostileCase(name: "a name with a slash", tree: [deploy([("../../escape.yaml", .file("kind: x\n"))]), app], outcome: .readRefused("/")),
        HostileCase(name: "an empty name", tree: [deploy([("", .file("kind: x\n"))]), app], outcome: .unfetchable),
        HostileCase(name: "a name twice", tree: [deploy([("web.yaml", .file("kind: x\n"))]), app], outcome: .readRefused("twice")),
        HostileCase(name: "a folder and a file of one name", tree: [deploy(), app, ("app", .file("x"))], outcome: .snapshotRefused("twice")),
        // Links.
        HostileCase(name: "a link to an absolute path", tree: [deploy(), app, ("passwd", .link("/etc/passwd"))], outcome: .snapshotRefused("passwd")),
        HostileCase(name: "a link that climbs out", tree: [deploy(), app, ("up", .link("../../../../../../etc"))], outcome: .snapshotRefused("up")),
        HostileCase(name: "a chain of links that climbs out", tree: [deploy(), app, upChain, ("esc", .link("a/b/up/../../../etc"))],
                    outcome: .snapshotRefused("esc")),
        HostileCase(name: "a chain of links to /dev/zero", tree: [deploy(), app, upChain, ("zero.bin", .link("a/b/up/" + String(repeating: "../", count: 12) + "dev/zero"))],
                    outcome: .snapshotRefused("zero.bin")),
        HostileCase(name: "a link to /dev/zero under the path", tree: [deploy([("zero.yaml", .link("/dev/zero"))]), app],
                    outcome: .snapshotRefused("zero.yaml")),
        HostileCase(name: "links in a loop", tree: [deploy(), app, ("one", .link("two")), ("two", .link("one"))], outcome: .snapshotRefused("loop")),
        HostileCase(name: "a link target with a NUL", tree: [deploy(), app, ("nul", .link("app\u{0}/../../.."))], outcome: .snapshotRefused("nul")),
        HostileCase(name: "links that stay inside", tree: [deploy([("alias.yaml", .link("web.yaml"))]), app, ("lib", .link("app")),
                                                               ("deep", .link("lib/../app/app.py")), upChain, ("top", .link("a/b/up/app"))],
                    outcome: .accepted),
        HostileCase(name: "a dangling link", tree: [deploy(), app, ("missing", .link("nowhere/at/all")), ("through-file", .link("app/app.py/../.."))],
                    outcome: .accepted),
        // YAML.
        HostileCase(name: "a billion laughs", tree: [deploy([("bomb.yaml", .file(billionLaughs))]), app], outcome: .invalid("aliases")),
        HostileCase(name: "deeply nested flow sequences", tree: [deploy([("deep.yaml", .file(String(repeating: "[", count: 20_000)))]), app],
                    outcome: .invalid("deep.yaml")),
    ]
}
