import Foundation
import Hummingbird
import TallyCore

/// Merging two members in two steps: `GET /console/members/{id}/merge?absorb=` shows both side
/// by side and what the survivor (`id`) will hold, and changes nothing; only its confirm form's
/// POST merges, with a reason, and records the merge in the audit log in the merge's transaction.
extension MembersPage {
    /// What the audit log keeps before a merge: both members.
    struct MergeRecord: Encodable, Sendable {
        var survivor: MemberSnapshot
        var absorbed: MemberSnapshot
    }

    func confirmMerge(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let (survivor, absorbed) = try await pair(console, absorb: console.query("absorb"))
        let path = "/console/members/\(survivor.id.uuidString.lowercased())"
        let absorbedID = absorbed.id.uuidString.lowercased()
        let identities = survivor.identities.count + absorbed.identities.count
        let tiers = [survivor.tier, absorbed.tier].map { $0 ?? "—" }.joined(separator: " / ")
        let swap = ConsoleURL.make("/console/members/\(absorbedID)/merge", [("absorb", survivor.id.uuidString.lowercased())])
        let body: HTML = """
            <p>\(lang("确认后，右边的会员并入左边的会员：它的积分、身份、领取和兑换都转给左边，它自己不再使用。",
                "On confirming, the member on the right is merged into the one on the left: its points, identities, claims and redemptions move there, and it is no longer used."))
            <a href="\(swap)">\(lang("反过来合并", "Merge the other way instead"))</a></p>
            <div class="side">
            \(card(survivor, heading: lang("保留的会员", "Survivor (kept)"), lang))
            \(card(absorbed, heading: lang("并入的会员", "Merged in (retired)"), lang))
            </div>
            <div class="card"><h2>\(lang("合并后保留的会员将有", "After the merge the survivor will hold"))</h2><dl class="facts">
            <dt>\(lang("余额", "Balance"))</dt><dd>\(ConsoleFormat.number(survivor.balance + absorbed.balance))</dd>
            <dt>\(lang("累计获得", "Lifetime earned"))</dt><dd>\(ConsoleFormat.number(survivor.lifetimeEarned + absorbed.lifetimeEarned))</dd>
            <dt>\(lang("领取次数", "Claims"))</dt><dd>\(ConsoleFormat.number(survivor.claims + absorbed.claims))</dd>
            <dt>\(lang("身份", "Identities"))</dt><dd>\(ConsoleFormat.number(identities))</dd>
            <dt>\(lang("等级", "Tier"))</dt><dd>\(lang("按两人在等级周期内获得的积分重新计算（现为 ", "recomputed from both members' points earned in the tier window (now "))\(tiers))</dd>
            </dl></div>
            <form class="card" method="post" action="\(path)/merge">\(ConsoleForm.csrfField(console.csrf))
            <input type="hidden" name="absorb" value="\(absorbedID)">
            \(ConsoleForm.field(lang("原因", "Reason"), name: "reason", required: true, extra: "maxlength=\"500\""))
            <p><button type="submit" class="danger">\(lang("确认合并", "Confirm the merge"))</button> <a href="\(path)">\(lang("取消", "Cancel"))</a></p>
            </form>
            """
        return console.page(.members, title: lang("合并会员", "Merge members"), body)
    }

    func merge(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let (survivor, absorbed) = try await pair(console, absorb: form["absorb"])
        let reason = form["reason"] ?? ""
        let actor = console.session.actor
        let before = MergeRecord(survivor: MemberSnapshot(survivor), absorbed: MemberSnapshot(absorbed))
        let result = try await database.transaction(logger: console.logger) { tx in
            let result = try await merger.merge(absorbed.id, into: survivor.id, reason: reason, actor: actor, on: tx)
            try await audit.record(
                console.audit, action: "member.merge", target: Self.target(survivor.id), before: before, after: result, on: tx)
            return result
        }
        return console.done(
            "/console/members/\(survivor.id.uuidString.lowercased())",
            notice: lang(
                "已合并：转入 \(result.pointsMoved) 积分、\(result.identitiesMoved) 个身份，余额 \(result.balance)。",
                "Merged: \(result.pointsMoved) points and \(result.identitiesMoved) identities moved; balance \(result.balance)."))
    }

    /// The survivor (the path's member) and the member to absorb, both current and different.
    private func pair(_ console: ConsoleRequest, absorb: String?) async throws -> (MemberProfile, MemberProfile) {
        let lang = console.lang
        let survivorID = try memberID(console)
        guard let text = absorb, let absorbedID = UUID(uuidString: text) else {
            throw StoreError(.invalid, .memberNotFound, lang("请填写要并入的会员 ID。", "Enter the ID of the member to merge in."))
        }
        guard absorbedID != survivorID else {
            throw StoreError(.invalid, .sameMember, lang("会员不能并入自己。", "a member cannot be merged into itself"))
        }
        func current(_ id: UUID) async throws -> MemberProfile {
            switch try await directory.profile(of: id) {
            case .member(let profile): return profile
            case .merged(let survivor):
                throw StoreError(
                    .conflict, .alreadyMerged,
                    lang(
                        "会员 \(id.uuidString.lowercased()) 已合并到 \(survivor.uuidString.lowercased())。",
                        "member \(id.uuidString.lowercased()) was merged into \(survivor.uuidString.lowercased()) already"))
            }
        }
        return (try await current(survivorID), try await current(absorbedID))
    }

    private func card(_ profile: MemberProfile, heading: String, _ lang: ConsoleLanguage) -> HTML {
        let id = profile.id.uuidString.lowercased()
        var identities: HTML = ""
        for identity in profile.identities { identities += "<li>\(identity.channel): \(identity.externalId)</li>" }
        return """
            <section class="card" aria-label="\(heading)"><h2>\(heading)</h2><dl class="facts">
            <dt>ID</dt><dd><a href="/console/members/\(id)">\(id)</a></dd>
            <dt>\(lang("余额", "Balance"))</dt><dd>\(ConsoleFormat.number(profile.balance))</dd>
            <dt>\(lang("累计获得", "Lifetime earned"))</dt><dd>\(ConsoleFormat.number(profile.lifetimeEarned))</dd>
            <dt>\(lang("等级", "Tier"))</dt><dd>\(profile.tier ?? "—")</dd>
            <dt>\(lang("领取次数", "Claims"))</dt><dd>\(ConsoleFormat.number(profile.claims))</dd>
            <dt>\(lang("最近扫码", "Last scan"))</dt><dd>\(ConsoleFormat.time(profile.lastScanAt, lang: lang))</dd>
            <dt>\(lang("身份", "Identities"))</dt><dd><ul>\(identities)</ul></dd>
            </dl></section>
            """
    }
}
