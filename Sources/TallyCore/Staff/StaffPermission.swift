/// One thing the console may let a staff member do; roles grant them (`StaffRole.permissions`).
public enum StaffPermission: String, CaseIterable, Sendable {
    /// The dashboard, regions, alerts and the liability report.
    case viewReports
    /// Members: search, profiles, ledgers, identities, redemptions.
    case viewMembers
    /// Adjust points, link and unlink identities, merge members.
    case editMembers
    /// Cancel a redemption (its points go back).
    case cancelRedemptions
    case viewCampaigns
    /// Create, edit, schedule, pause and end campaigns; preview and backtest them.
    case editCampaigns
    /// The rewards catalogue and its redemptions.
    case viewCatalogue
    case editRewards
    /// Products, batches and their codes.
    case viewPackaging
    /// Create products and batches, activate and void codes, export codes.
    case editPackaging
    /// Expiry and tiers.
    case editProgramme
    /// Webhook subscriptions, deliveries, dead letters, replays.
    case manageWebhooks
    /// Create and revoke API keys.
    case manageAPIKeys
    /// Read and export the staff audit log.
    case readAudit
}
