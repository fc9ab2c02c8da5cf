import Crypto
import Logging
import PostgresNIO
import TallyCore

/// Every store and shared helper the server's controllers and services use, each built once
/// per server from its configuration and its one database client.
struct Dependencies: Sendable {
    let config: ServerConfig
    let database: PostgresClient

    // Access
    let keys: APIKeyStore
    let idempotency: IdempotencyStore
    // Catalogue and the packaging line
    let products: ProductStore
    let batches: BatchStore
    let exportAudit: ExportAudit
    let rewards: RewardStore
    // Claims and scans
    let claims: ClaimStore
    let apiClaims: APIClaimStore
    let scans: ScanRecorder
    // Members and the programme
    let members: MemberStore
    let directory: MemberDirectory
    let accounts: MemberAccountStore
    let ledger: MemberLedger
    let links: IdentityLinks
    let adjuster: PointsAdjuster
    let merger: MemberMerger
    let programme: ProgrammeStore
    let liability: LiabilityReports
    let segments: SegmentExport
    let redemptions: RedemptionStore
    // Campaigns
    let campaigns: CampaignStore
    let campaignPreview: CampaignPreview
    let campaignReports: CampaignReports
    let campaignBacktester: CampaignBacktester
    let campaignDraws: CampaignDraws
    // Webhooks
    let subscriptions: WebhookSubscriptionStore
    let deliveries: WebhookDeliveryStore
    // The brand console's reports
    let dashboard: DashboardStore
    let alerts: AbuseAlerts
    // The brand console's staff
    let staff: StaffStore
    let staffAudit: StaffAudit
    // Consumer sign-in
    let otp: OTPStore
    let codeSender: any CodeSender
    let signer: SessionSigner

    init(config: ServerConfig, database: PostgresClient, logger: Logger) {
        self.config = config
        self.database = database
        keys = APIKeyStore(database: database, logger: logger)
        idempotency = IdempotencyStore(database: database, logger: logger)
        products = ProductStore(database: database, logger: logger)
        batches = BatchStore(database: database, logger: logger)
        exportAudit = ExportAudit(database: database, logger: logger)
        rewards = RewardStore(database: database, logger: logger)
        claims = ClaimStore(database: database, logger: logger, dailyCap: config.dailyClaimCap, timeZone: config.timeZone)
        apiClaims = APIClaimStore(
            database: database, logger: logger, concurrency: config.claimConnections ?? config.defaultClaimConnections,
            queueLimit: config.claimQueueLimit, deadline: config.apiDeadline, dailyCap: config.dailyClaimCap, timeZone: config.timeZone
        )
        scans = ScanRecorder(store: ScanStore(database: database, logger: logger), logger: logger)
        members = MemberStore(database: database, logger: logger)
        directory = MemberDirectory(database: database, logger: logger)
        accounts = MemberAccountStore(database: database, logger: logger)
        ledger = MemberLedger(database: database, logger: logger)
        links = IdentityLinks(database: database, logger: logger)
        adjuster = PointsAdjuster(logger: logger)
        merger = MemberMerger(logger: logger)
        programme = ProgrammeStore(database: database, logger: logger)
        liability = LiabilityReports(database: database, logger: logger)
        segments = SegmentExport(database: database, logger: logger)
        redemptions = RedemptionStore(database: database, logger: logger)
        campaigns = CampaignStore(database: database, logger: logger)
        campaignPreview = CampaignPreview(database: database, logger: logger, claims: claims)
        campaignReports = CampaignReports(database: database, logger: logger)
        campaignBacktester = CampaignBacktester(database: database, logger: logger)
        campaignDraws = CampaignDraws(database: database, logger: logger)
        subscriptions = WebhookSubscriptionStore(database: database, logger: logger)
        deliveries = WebhookDeliveryStore(database: database, logger: logger)
        dashboard = DashboardStore(database: database, logger: logger)
        alerts = AbuseAlerts(database: database, logger: logger)
        staff = StaffStore(database: database, logger: logger)
        staffAudit = StaffAudit(database: database, logger: logger)
        otp = OTPStore(database: database, logger: logger, secret: SymmetricKey(data: config.sessionKey))
        codeSender =
            switch config.codeDelivery {
            case .log: LogCodeSender()
            case .webhook(let url, let secret): WebhookCodeSender(url: url, secret: SymmetricKey(data: secret))
            }
        signer = SessionSigner(key: config.sessionKey)
    }
}
