/// `api.dashboardAuth`: who may read what the dashboard shows.
public enum DashboardAuth: String, Sendable, CaseIterable {
    /// Reads are open to whoever reaches the API's address; commands need the token.
    case none
    /// Reads need the token as commands do.
    case token
}
