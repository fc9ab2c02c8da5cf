/// What an API key may do. Every API route names the one scope it needs.
public enum Scope: String, Sendable, CaseIterable, Codable {
    /// Create products' batches, activate and void them, export codes (the packaging line).
    case mint
    /// Claim codes on behalf of members (trusted channel backends).
    case claim
    case crmRead = "crm:read"
    case crmWrite = "crm:write"
    case redeem
    /// Create, change, schedule, pause, resume and end campaigns, and read them, their versions
    /// and their change log; preview claims, backtests, reports (docs/campaigns.md).
    case campaigns
    /// Everything, including products and API keys.
    case admin
}
