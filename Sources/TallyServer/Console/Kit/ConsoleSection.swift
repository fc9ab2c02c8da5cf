import TallyCore

/// The console's areas, in the order of its navigation: where each lives, what it is called and
/// who may open it. A section a role may not open is neither shown nor served.
enum ConsoleSection: String, CaseIterable, Sendable {
    case dashboard, regions, alerts, members, campaigns, rewards, packaging, programme, webhooks, apiKeys, liability, audit

    var path: String {
        switch self {
        case .dashboard: "/console"
        case .apiKeys: "/console/api-keys"
        default: "/console/\(rawValue)"
        }
    }

    func title(_ lang: ConsoleLanguage) -> String {
        switch self {
        case .dashboard: lang("概览", "Dashboard")
        case .regions: lang("地区", "Regions")
        case .alerts: lang("防伪与风控", "Alerts")
        case .members: lang("会员", "Members")
        case .campaigns: lang("营销活动", "Campaigns")
        case .rewards: lang("礼品与兑换", "Rewards")
        case .packaging: lang("包装赋码", "Packaging")
        case .programme: lang("积分规则", "Programme")
        case .webhooks: lang("Webhook", "Webhooks")
        case .apiKeys: lang("API 密钥", "API keys")
        case .liability: lang("积分负债", "Liability")
        case .audit: lang("操作日志", "Audit log")
        }
    }

    /// What a staff member needs to open the section at all (its actions may need more).
    var permission: StaffPermission {
        switch self {
        case .dashboard, .regions, .alerts, .liability, .programme: .viewReports
        case .members: .viewMembers
        case .campaigns: .viewCampaigns
        case .rewards: .viewCatalogue
        case .packaging: .viewPackaging
        case .webhooks: .manageWebhooks
        case .apiKeys: .manageAPIKeys
        case .audit: .readAudit
        }
    }
}
