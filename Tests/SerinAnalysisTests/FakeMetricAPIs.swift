import Foundation
import SerinTesting

/// Stand-ins for the metric vendors' HTTP APIs, which cannot run here (they
/// are SaaS, or, for InfluxDB 2, not packaged by Debian): FakeDatadog
/// (`GET /api/v1/query`), FakeNewRelic (`GET /v1/accounts/<id>/query`),
/// FakeGraphite (`GET /render`) and FakeInfluxDB (`POST /api/v2/query`),
/// in one Python server on 127.0.0.1. Each checks the credentials its real
/// API takes and answers in its real format with the value set for the
/// query (`values[query]`, or no data); every request is recorded (path,
/// query string, headers, body).
final class FakeMetricAPIs: Sendable {
    let server: ServerProcess
    let directory: TemporaryDirectory

    struct Request: Sendable {
        var method: String
        var path: String
        var query: [String: String]
        var headers: [String: String]
        var body: String
    }

    /// `values`: the answer to each query text (Datadog, New Relic and
    /// InfluxDB: the query; Graphite: the `target`).
    init(values: [String: Double], credentials: Credentials = Credentials()) throws {
        directory = try TemporaryDirectory(prefix: "serin-fake-metrics")
        let config = try JSONSerialization.data(withJSONObject: [
            "values": values, "datadog": [credentials.datadogAPIKey, credentials.datadogApplicationKey],
            "newrelic": [credentials.newRelicAccount, credentials.newRelicQueryKey],
            "graphite": credentials.graphiteBasic, "influxdb": [credentials.influxToken, credentials.influxOrg],
        ])
        try config.write(to: URL(fileURLWithPath: directory.path + "/config.json"))
        let script = try directory.write("fake.py", Self.source)
        let port = try Loopback.freePort()
        server = try ServerProcess("/usr/bin/env", ["python3", script, String(port), directory.path], port: port)
    }

    struct Credentials {
        var datadogAPIKey = "dd-api", datadogApplicationKey = "dd-app"
        var newRelicAccount = "1234", newRelicQueryKey = "nr-key"
        /// base64 of user:password
        var graphiteBasic = Data("graphite:pw".utf8).base64EncodedString()
        var influxToken = "influx-token", influxOrg = "shop"
    }

    var address: String { "http://127.0.0.1:\(server.port)" }

    func requests() -> [Request] {
        guard let text = try? String(contentsOfFile: directory.path + "/requests.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(method: object["method"] as? String ?? "", path: object["path"] as? String ?? "",
                           query: object["query"] as? [String: String] ?? [:], headers: object["headers"] as? [String: String] ?? [:],
                           body: object["body"] as? String ?? "")
        }
    }

    func stop() {
        server.stop()
        directory.remove()
    }

    static let source = #"""
    import json, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlparse, parse_qsl

    port, home = int(sys.argv[1]), sys.argv[2]
    config = json.load(open(home + "/config.json"))
    values = config["values"]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, kind="application/json"):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def record(self, body):
            url = urlparse(self.path)
            entry = {"method": self.command, "path": url.path, "query": dict(parse_qsl(url.query)),
                     "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            with lock:
                with open(home + "/requests.jsonl", "a") as f:
                    f.write(json.dumps(entry) + "\n")
            return url.path, dict(parse_qsl(url.query))

        def do_GET(self):
            path, query = self.record("")
            h = {k.lower(): v for k, v in self.headers.items()}
            if path == "/api/v1/query":  # Datadog
                if [h.get("dd-api-key"), h.get("dd-application-key")] != config["datadog"]:
                    return self.answer(403, {"errors": ["Forbidden"]})
                q = query.get("query", "")
                if q not in values:
                    return self.answer(200, {"series": []})
                # The oldest point first, as Datadog answers; Flagger reads it.
                return self.answer(200, {"series": [{"pointlist": [[float(query["from"]) * 1000, values[q]], [float(query["to"]) * 1000, -1]]}]})
            if path.startswith("/v1/accounts/"):  # New Relic Insights
                account = path.split("/")[3]
                if [account, h.get("x-query-key")] != config["newrelic"]:
                    return self.answer(403, {"error": "invalid key"})
                nrql = query.get("nrql", "")
                q = nrql.rsplit(" SINCE ", 1)[0]
                return self.answer(200, {"results": [{"result": values.get(q)}]})
            if path == "/render":  # Graphite
                if h.get("authorization") != "Basic " + config["graphite"]:
                    return self.answer(401, "unauthorized", "text/plain")
                if query.get("format") != "json":
                    return self.answer(400, "format=json expected", "text/plain")
                target = query.get("target", "")
                points = [[None, 1], [values[target], 2], [None, 3]] if target in values else [[None, 1]]
                return self.answer(200, [{"target": target, "datapoints": points}])
            self.answer(404, {"error": "not found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            path, query = self.record(body)
            h = {k.lower(): v for k, v in self.headers.items()}
            if path == "/api/v2/query":  # InfluxDB 2
                if [h.get("authorization"), query.get("org")] != ["Token " + config["influxdb"][0], config["influxdb"][1]]:
                    return self.answer(401, {"code": "unauthorized", "message": "unauthorized access"})
                flux = json.loads(body)["query"]
                header = "#datatype,string,long,dateTime:RFC3339,double\n#group,false,false,false,false\n#default,_result,,,\n"
                rows = ",result,table,_time,_value\n"
                if flux in values:
                    rows += ",,0,2024-01-01T00:00:00Z,%s\n" % values[flux]
                return self.answer(200, header + rows, "text/csv")
            self.answer(404, {"error": "not found"})

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """#
}
