/// What a campaign publishes of its draw's secret (32 random bytes, the HMAC-SHA256 key of
/// every ticket): its SHA-256 once the campaign is no longer a draft, the secret itself once it
/// has ended, so that anyone can recompute every draw. Both in lower-case hex.
public struct CampaignDraw: Sendable, Codable, Equatable {
    public var secretSha256: String?
    public var secret: String?

    public init(secretSha256: String?, secret: String?) {
        self.secretSha256 = secretSha256
        self.secret = secret
    }
}
