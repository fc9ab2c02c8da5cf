import Foundation
import Hummingbird
import TallyCodes
import TallyCore

/// `POST /api/v1/campaigns/preview`: what a member would get for a code right now, from the
/// live campaigns and, if named, a campaign tried out as if it were live. A dry run: the claim
/// is made and rolled back (see CampaignPreview), so nothing changes.
struct CampaignPreviewController: APIController {
    let preview: CampaignPreview
    let keyRing: KeyRing

    struct PreviewRequest: Decodable {
        var code: String
        var memberId: UUID
        /// The channel of the claim foretold (the landing page's is `web`, the default).
        var channel: String?
        var campaignId: Int64?
    }

    init(_ dependencies: Dependencies) {
        preview = dependencies.campaignPreview
        keyRing = dependencies.config.keyRing
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/campaigns/preview", scope: .campaigns, Self.previewClaim)
    ]

    func previewClaim(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let body = try await request.decode(as: PreviewRequest.self, context: context)
        let code = try keyRing.genuineCode(body.code)
        let channel = try ChannelName(validating: body.channel ?? ChannelName.web.rawValue)
        return try .json(
            try await preview.preview(code: code, member: body.memberId, channel: channel, asLive: body.campaignId), context: context)
    }
}
