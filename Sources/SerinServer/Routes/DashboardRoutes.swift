import Hummingbird

/// `/`: the dashboard, a page that reads the API like any client. Its own
/// files are public (they hold no data); what it reads is as protected as
/// the API is (`dashboardAuth`).
struct DashboardRoutes: Sendable {
    let assets = DashboardAssets()

    /// Only the page's own files run or style it, nothing is framed, and
    /// nothing is sent anywhere but here: data shown as text stays text.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

    // A valid field name, so the unwrap cannot fail.
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!

    func register(on router: Router<some RequestContext>) {
        router.get("/") { request, _ in try serve("index.html", request) }
        router.get("/dashboard/:file") { request, context in try serve(context.parameters.require("file"), request) }
    }

    private func serve(_ file: String, _ request: Request) throws -> Response {
        guard let asset = assets.files[file] else { throw APIError.notFound("no dashboard file \"\(file)\"") }
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .eTag: asset.etag,
            // Revalidated on every load: a new binary's page is never mixed with an old script.
            .cacheControl: "no-cache",
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
        ]
        headers[Self.referrerPolicy] = "no-referrer"
        if let presented = request.headers[.ifNoneMatch], presented.split(separator: ",").contains(where: { $0.filter { $0 != " " } == asset.etag }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }
}
