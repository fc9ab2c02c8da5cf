/// What a staff member does for the brand, and so what the console lets them see and change.
/// The one map from roles to permissions is `permissions`.
public enum StaffRole: String, CaseIterable, Sendable, Codable {
    /// Reads the reports, members, campaigns, catalogue and packaging; changes nothing.
    case viewer
    /// Customer service: a viewer who also adjusts points, links identities, merges members
    /// and cancels redemptions.
    case service
    /// Marketing: a viewer who also runs campaigns and the rewards catalogue.
    case marketer
    /// The packaging line's supervisor: a viewer who also makes products and batches,
    /// activates, voids and exports codes.
    case packaging
    /// Everything, including the programme's rules, webhooks, API keys and the audit log.
    case admin

    public var permissions: Set<StaffPermission> {
        let reading: Set<StaffPermission> = [.viewReports, .viewMembers, .viewCampaigns, .viewCatalogue, .viewPackaging]
        switch self {
        case .viewer: return reading
        case .service: return reading.union([.editMembers, .cancelRedemptions])
        case .marketer: return reading.union([.editCampaigns, .editRewards])
        case .packaging: return reading.union([.editPackaging])
        case .admin: return Set(StaffPermission.allCases)
        }
    }

    public func may(_ permission: StaffPermission) -> Bool {
        permissions.contains(permission)
    }
}
