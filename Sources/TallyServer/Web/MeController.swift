import Foundation
import Hummingbird
import Logging
import Metrics
import TallyCore

/// `/me`: a signed-in consumer's balance, points expiring soon, history, vouchers and the
/// catalogue of rewards redeemable on the web, with a form to redeem one unit of each.
/// Signed-out visitors get the sign-in form, which returns here.
struct MeController {
    static let path = "/me"
    /// The channel rewards are redeemed through on this page.
    static let channel = ChannelName.web.rawValue
    static let catalogueSize = 50
    static let redemptionsShown = 20

    let config: ServerConfig
    let accounts: MemberAccountStore
    let rewards: RewardStore
    let redemptions: RedemptionStore
    let idempotency: IdempotencyStore
    let signer: SessionSigner

    struct RedeemForm: Decodable {
        var csrf: String?
        var reward: String?
        var nonce: String?
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get(RouterPath(Self.path)) { request, context in try await show(request, context: context) }
        router.post(RouterPath(Self.path + "/redeem")) { request, context in try await redeem(request, context: context) }
    }

    private func visit(_ request: Request, _ context: AppRequestContext) -> ConsumerVisit {
        ConsumerVisit(request: request, context: context, signer: signer, trustForwardedFor: config.trustForwardedFor)
    }

    private func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = visit(request, context)
        let m = MeStrings.choose(visit.strings)
        guard let member = visit.member else { return signInPage(visit) }
        do {
            let (accounts, rewards, redemptions) = (self.accounts, self.rewards, self.redemptions)
            let (account, catalogue, recent) = try await withRequestDeadline(until: .now + config.pageDeadline) {
                let account = try await accounts.account(of: member)
                let catalogue = try await rewards.list(after: nil, limit: Self.catalogueSize, activeNow: true, channel: Self.channel)
                let recent = try await redemptions.list(member: account.memberId, before: nil, limit: Self.redemptionsShown).items
                return (account, catalogue, recent)
            }
            var page = visit.page(brand: config.brand, heading: m.title, tone: "info")
            page.account = AccountView(
                account: account, rewards: catalogue, redemptions: recent, csrf: visit.csrf,
                strings: visit.strings, timeZone: config.timeZone
            )
            return visit.respond(withSignedIn(page, visit: visit), secureCookies: config.secureCookies)
        } catch let error as StoreError where error.kind == .notFound {
            return signInPage(visit) // a session for a member the database does not know
        } catch {
            return unavailable(visit, context: context, error: error)
        }
    }

    private func signInPage(_ visit: ConsumerVisit) -> Response {
        let m = MeStrings.choose(visit.strings)
        var page = visit.page(brand: config.brand, heading: m.title, tone: "info", message: m.signInPrompt)
        page.signInForm = .init(csrf: visit.csrf, returnTo: Self.path, phone: "", error: nil)
        return visit.respond(page, secureCookies: config.secureCookies)
    }

    /// Redeems one unit of the posted reward. The form's nonce is the Idempotency-Key (per
    /// member), so a double tap or a reload of the answer shows the same voucher, never a second one.
    private func redeem(_ request: Request, context: AppRequestContext) async throws -> Response {
        let visit = visit(request, context)
        let m = MeStrings.choose(visit.strings)
        let form = try await FormBody.decode(RedeemForm.self, from: request, context: context)
        if let refusal = visit.refusal(of: form.csrf, publicHost: config.publicHost) { return expired(visit, refusal) }
        guard let nonce = form.nonce, !nonce.isEmpty, let sku = form.reward else { return expired(visit) }
        guard let member = visit.member else {
            return visit.redirect(to: Self.path, secureCookies: config.secureCookies)
        }
        let (redemptions, idempotency) = (self.redemptions, self.idempotency)
        let encoder = context.responseEncoder
        let hash = IdempotencyStore.requestHash(method: "POST", path: Self.path + "/redeem", body: Array(sku.utf8))
        let redemption: Redemption
        do {
            let (recorded, replayed) = try await withRequestDeadline(until: .now + config.pageDeadline) {
                try await idempotency.perform(actor: "web:\(member.uuidString.lowercased())", key: nonce, requestHash: hash) { tx in
                    let outcome = try await redemptions.redeem(
                        member: member, sku: sku, quantity: 1, channel: Self.channel, actor: "consumer", on: tx
                    )
                    switch outcome {
                    case .redeemed(let redemption):
                        return RecordedResponse(status: 201, body: Array(try encoder.encode(redemption)))
                    case .refused(let refusal, let balance):
                        throw refusal.error(sku: sku, quantity: 1, channel: Self.channel, balance: balance)
                    }
                }
            }
            redemption = try context.requestDecoder.decode(Redemption.self, from: Data(recorded.body))
            if !replayed { Counter(label: "tally_redemptions_total", dimensions: [("channel", "web")]).increment() }
        } catch let error as StoreError {
            if let refusal = RedemptionRefusal(code: error.code) {
                let words = m.refusal(refusal)
                var page = visit.page(brand: config.brand, heading: words.title, tone: "warn", message: words.body, switchPath: Self.path)
                page.backLink = BackLink(href: Self.path, label: m.back)
                return visit.respond(withSignedIn(page, visit: visit), status: .unprocessableContent, secureCookies: config.secureCookies)
            }
            // The nonce of another form (or a malformed one): that page is out of date.
            return expired(visit)
        } catch {
            return unavailable(visit, context: context, error: error)
        }
        let s = visit.strings
        var page = visit.page(
            brand: config.brand, heading: m.redeemedTitle, tone: "good",
            message: s.format(m.redeemedBody, redemption.rewardName), switchPath: Self.path
        )
        page.redeemed = RedeemedView(
            voucherLabel: m.voucher, voucher: redemption.voucher, spent: s.format(m.spent, String(redemption.points)),
            balanceAfter: s.format(s.balance, String(redemption.balance ?? 0))
        )
        page.backLink = BackLink(href: Self.path, label: m.back)
        return visit.respond(withSignedIn(page, visit: visit), status: .created, secureCookies: config.secureCookies)
    }

    /// A form whose CSRF token or nonce does not fit, or sent from another site: nothing
    /// happens; the visitor starts again.
    private func expired(_ visit: ConsumerVisit, _ refusal: FormRefusal = .expired) -> Response {
        var page = visit.refusedPage(refusal, brand: config.brand, switchPath: Self.path)
        page.backLink = BackLink(href: Self.path, label: MeStrings.choose(visit.strings).back)
        return visit.respond(page, status: .forbidden, secureCookies: config.secureCookies)
    }

    private func unavailable(_ visit: ConsumerVisit, context: AppRequestContext, error: any Error) -> Response {
        context.logger.error("/me failed", metadata: ["error": "\(error.databaseDescription)"])
        let s = visit.strings
        let page = visit.page(
            brand: config.brand, heading: s.unavailableTitle, tone: "warn", message: s.unavailableBody, switchPath: Self.path)
        return visit.respond(page, status: .serviceUnavailable, secureCookies: config.secureCookies)
    }

    private func withSignedIn(_ page: ConsumerPage, visit: ConsumerVisit) -> ConsumerPage {
        var page = page
        page.signedIn = .init(
            label: visit.strings.signedInAs, csrf: visit.csrf, returnTo: Self.path, accountLink: MeStrings.choose(visit.strings).accountLink
        )
        return page
    }
}
