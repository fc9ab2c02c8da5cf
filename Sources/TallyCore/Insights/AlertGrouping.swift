/// How scans and sign-in requests are put together by where they came from: by the exact
/// address, or by its network (a /24 for IPv4, a /64 for IPv6: one household, office or
/// mobile carrier's pool, where a counterfeiter may change addresses).
public enum AlertGrouping: String, Sendable, Codable, CaseIterable {
    case address
    case network

    /// The group's key (an inet) from a row's `ip` column, in SQL.
    var key: String {
        switch self {
        case .address: "ip"
        case .network: "network(set_masklen(ip, CASE family(ip) WHEN 4 THEN 24 ELSE 64 END))::inet"
        }
    }

    /// The key `column` as the page shows it: `203.0.113.9`, or `203.0.113.0/24`.
    func text(_ column: String) -> String {
        switch self {
        case .address: "host(\(column))"
        case .network: "\(column)::text"
        }
    }
}
