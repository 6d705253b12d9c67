import Foundation
import SerinTemplate
import Synchronization

/// The functions a chart's templates see: Sprig's, then Helm's own
/// (`toYaml`, `include`, `tpl`, `required`, `lookup`, ...), as Helm's
/// engine installs them.
public enum HelmFunctions {
    /// Functions whose result depends on chance or the clock. Serin renders
    /// a commit the same way every time (a revision is a hash of what was
    /// rendered), so a chart that calls one is refused with this reason
    /// rather than given a value that changes on every sync and restarts
    /// its workloads.
    public static let refused: [String: String] = [
        "randAlphaNum": "random", "randAlpha": "random", "randNumeric": "random", "randAscii": "random",
        "randInt": "random", "randBytes": "random", "uuidv4": "random", "shuffle": "random",
        "genPrivateKey": "random", "genCA": "random", "genCAWithKey": "random", "genSelfSignedCert": "random",
        "genSelfSignedCertWithKey": "random", "genSignedCert": "random", "genSignedCertWithKey": "random",
        "bcrypt": "random (salt)", "htpasswd": "random (salt)", "encryptAES": "random (IV)", "derivePassword": "not implemented",
        "now": "the clock", "ago": "the clock", "date": "the clock", "dateInZone": "the clock", "htmlDate": "the clock",
        "htmlDateInZone": "the clock", "dateModify": "the clock", "toDate": "the clock", "mustToDate": "the clock",
        "unixEpoch": "the clock", "durationRound": "not implemented",
        "getHostByName": "the network", "env": "the environment", "expandenv": "the environment",
        "toToml": "not implemented", "fromToml": "not implemented", "mustToToml": "not implemented",
        "toYamlPretty": "not implemented",
    ]

    static func refusalMessage(_ name: String, _ reason: String) -> String {
        if reason == "not implemented" { return "\(name) is not supported by Serin's Helm renderer" }
        return "\(name) depends on \(reason): Serin renders a commit the same way on every sync, so it cannot use \(name); put the value in the chart's values instead"
    }

    /// A refused function: an error, or, while `log` tolerates the template
    /// being run (one whose documents may turn out not to be applied, such
    /// as test hooks), a placeholder and a note in the log.
    static func refusal(_ name: String, _ reason: String, log: RefusalLog?) -> TemplateFunction {
        TemplateFunction(name, [], variadic: .interface) { arguments, _ in
            guard let log, log.tolerates(name) else { throw FunctionError(refusalMessage(name, reason)) }
            let length = arguments.first.map { Cast.int($0) } ?? 8
            return .string(String(repeating: "x", count: max(0, min(length, 4096))))
        }
    }

    /// Every function of the engine; `include` and `tpl` are bound to the execution they run in.
    public static func table(strict: Bool = false, refusals: RefusalLog? = nil) -> [String: TemplateFunction] {
        var table = base
        for (name, reason) in refused { table[name] = refusal(name, reason, log: refusals) }
        return table
    }

    /// Sprig's and Helm's functions but the refused ones, made once.
    static let base: [String: TemplateFunction] = {
        var table = SprigFunctions.all
        func function(_ name: String, _ parameters: [GoType], _ body: @escaping @Sendable ([Value]) throws -> Value) -> TemplateFunction {
            SprigFunctions.function(name, parameters, body)
        }
        table["toYaml"] = function("toYaml", [.interface]) { a in
            guard let text = try? GoYAMLEncoder.encode(a[0]) else { return .string("") }
            return .string(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
        table["mustToYaml"] = function("mustToYaml", [.interface]) { a in
            let text = try GoYAMLEncoder.encode(a[0])
            return .string(text.hasSuffix("\n") ? String(text.dropLast()) : text)
        }
        table["fromYaml"] = function("fromYaml", [.string]) { a in
            do {
                return .map(try GoYAML.decodeValues(a[0].stringValue ?? ""))
            } catch {
                return .dictionary(["Error": .string("\(error)")])
            }
        }
        table["fromYamlArray"] = function("fromYamlArray", [.string]) { a in
            do {
                let value = try GoYAML.decode(a[0].stringValue ?? "")
                if case .list = value { return value }
                if case .null = value { return .array([]) }
                return .array([.string("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \(GoYAML.jsonKind(value)) into Go value of type []interface {}")])
            } catch {
                return .array([.string("\(error)")])
            }
        }
        table["toJson"] = function("toJson", [.interface]) { a in .string((try? GoJSON.encode(a[0])) ?? "") }
        table["mustToJson"] = function("mustToJson", [.interface]) { a in .string(try GoJSON.encode(a[0])) }
        table["toPrettyJson"] = function("toPrettyJson", [.interface]) { a in .string((try? GoJSON.encode(a[0], indent: "  ")) ?? "") }
        table["mustToPrettyJson"] = function("mustToPrettyJson", [.interface]) { a in .string(try GoJSON.encode(a[0], indent: "  ")) }
        table["toRawJson"] = function("toRawJson", [.interface]) { a in .string((try? GoJSON.encode(a[0], escapeHTML: false)) ?? "") }
        table["mustToRawJson"] = function("mustToRawJson", [.interface]) { a in .string(try GoJSON.encode(a[0], escapeHTML: false)) }
        table["fromJson"] = function("fromJson", [.string]) { a in
            do {
                let value = try GoJSON.decode(a[0].stringValue ?? "")
                if case .map = value { return value }
                return .dictionary(["Error": .string("json: cannot unmarshal \(GoYAML.jsonKind(value)) into Go value of type map[string]interface {}")])
            } catch {
                return .dictionary(["Error": .string("\(error)")])
            }
        }
        table["fromJsonArray"] = function("fromJsonArray", [.string]) { a in
            do {
                let value = try GoJSON.decode(a[0].stringValue ?? "")
                if case .list = value { return value }
                return .array([.string("json: cannot unmarshal object into Go value of type []interface {}")])
            } catch {
                return .array([.string("\(error)")])
            }
        }
        table["lookup"] = function("lookup", [.string, .string, .string, .string]) { _ in .dictionary([:]) }
        table["required"] = function("required", [.string, .interface]) { a in
            switch a[1] {
            case .null, .missing: throw HelmTemplateFailure(message: a[0].stringValue ?? "")
            case .string(let text) where text.isEmpty: throw HelmTemplateFailure(message: a[0].stringValue ?? "")
            default: return a[1]
            }
        }
        table["fail"] = function("fail", [.string]) { a in throw HelmTemplateFailure(message: a[0].stringValue ?? "") }
        table["include"] = TemplateFunction("include", [.string, .interface]) { arguments, call in
            .string(try call.execute(template: arguments[0].stringValue ?? "", data: arguments[1]))
        }
        table["tpl"] = TemplateFunction("tpl", [.string, .interface]) { arguments, call in
            let text = arguments[0].stringValue ?? ""
            do {
                let output = try call.parseAndExecute(name: "gotpl", text: text, data: arguments[1])
                return .string(output.replacingOccurrences(of: "<no value>", with: ""))
            } catch let failure as ParseError {
                throw FunctionError("cannot parse template \(GoQuote.quote(text)): \(failure)")
            } catch let failure as ExecError {
                throw TplFailure(text: text, underlying: failure)
            }
        }
        return table
    }()
}

/// Which templates called a refused function while rendering: their
/// documents may be kept only if Serin does not apply them (test hooks).
public final class RefusalLog: Sendable {
    struct State {
        var current = ""
        var strict: Set<String> = []
        var calls: [String: [String]] = [:]
    }

    let state = Mutex(State())

    public init(strict: Set<String> = []) {
        state.withLock { $0.strict = strict }
    }

    /// The template file being run now.
    public func begin(_ template: String) { state.withLock { $0.current = template } }

    /// Records the call; false when the template being run must not call it.
    func tolerates(_ function: String) -> Bool {
        state.withLock { state in
            if state.strict.contains(state.current) { return false }
            state.calls[state.current, default: []].append(function)
            return true
        }
    }

    /// The refused functions each template called.
    public var calls: [String: [String]] { state.withLock { $0.calls } }
}

/// `fail` and `required`: Helm reports them as `execution error at (FILE:LINE:COL): message`.
public struct HelmTemplateFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "HELM_ERR_START\(message)HELM_ERR_END" }
}

/// An error inside `tpl`, worded as Helm wraps it.
struct TplFailure: Error, CustomStringConvertible {
    var text: String
    var underlying: ExecError
    var description: String { "error during tpl function execution for \(GoQuote.quote(text)): \(underlying)" }
}
