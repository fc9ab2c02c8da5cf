import Foundation
import Hummingbird
import TallyCore

/// The changes customer service makes to a member: adjust points, link and unlink an identity,
/// cancel a redemption. Each goes through the store the API uses (whose checks run before it
/// writes anything) and is recorded in the staff audit log: in the store's transaction where the
/// store takes a connection, else right after it.
extension MembersPage {
    /// What the audit log keeps of an adjustment.
    struct AdjustmentRecord: Encodable, Sendable {
        var points: Int64
        var reason: String
        var entryId: Int64
        var balance: Int64
    }

    func adjust(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try await currentMember(console)
        guard let text = form["points"], let points = Int64(text) else {
            throw StoreError(
                .invalid, .invalidPoints,
                lang(
                    "积分应为 -\(Adjustment.maxPoints) 到 \(Adjustment.maxPoints) 之间的非零整数。",
                    "points is a non-zero whole number from -\(Adjustment.maxPoints) to \(Adjustment.maxPoints)"))
        }
        let adjustment = Adjustment(points: points, reason: form["reason"] ?? "")
        let before = try await snapshot(id)
        let actor = console.session.actor
        let result = try await database.transaction(logger: console.logger) { tx in
            let result = try await adjuster.adjust(id, adjustment, actor: actor, on: tx)
            try await audit.record(
                console.audit, action: "member.adjust", target: Self.target(id), before: before,
                after: AdjustmentRecord(points: points, reason: adjustment.reason, entryId: result.entryId, balance: result.balance), on: tx
            )
            return result
        }
        return console.done(
            "/console/members/\(id.uuidString.lowercased())",
            notice: lang("已调整 \(points) 积分，余额 \(result.balance)。", "Adjusted by \(points) points; balance \(result.balance)."))
    }

    func link(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try await currentMember(console)
        let identity = Identity(channel: form["channel"] ?? "", externalId: form["external_id"] ?? "")
        let before = try await snapshot(id)
        let created = try await links.link(identity, to: id)
        if created {
            try await audit.record(
                console.audit, action: "member.link", target: Self.target(id), before: before, after: try await snapshot(id))
        }
        return console.done(
            "/console/members/\(id.uuidString.lowercased())#identities",
            notice: created
                ? lang("已绑定身份。", "Identity linked.") : lang("此会员已有这个身份，没有更改。", "The member had this identity already; nothing changed."))
    }

    func unlink(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try await currentMember(console)
        let identity = Identity(channel: form["channel"] ?? "", externalId: form["external_id"] ?? "")
        let before = try await snapshot(id)
        try await links.unlink(identity, from: id)
        try await audit.record(
            console.audit, action: "member.unlink", target: Self.target(id), before: before, after: try await snapshot(id))
        return console.done("/console/members/\(id.uuidString.lowercased())#identities", notice: lang("已解绑身份。", "Identity unlinked."))
    }

    func cancelRedemption(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let text = console.context.parameters.get("redemption") ?? ""
        guard let id = UUID(uuidString: text) else {
            throw StoreError(.notFound, .redemptionNotFound, lang("没有兑换 \(text)", "no redemption \(text)"))
        }
        switch try await redemptions.cancel(redemption: id, reason: form["reason"] ?? "", actor: console.session.actor) {
        case .cancelled(let redemption):
            // The store keeps its own transaction: recorded right after, the redemption as it was and is.
            var before = redemption
            before.status = "issued"
            before.cancelledAt = nil
            before.balance = nil
            try await audit.record(
                console.audit, action: "redemption.cancel", target: "redemption:\(id.uuidString.lowercased())", before: before,
                after: redemption)
            return console.done(
                "/console/members/\(redemption.memberId.uuidString.lowercased())#redemptions",
                notice: lang("已取消兑换，\(redemption.points) 积分已退回。", "Redemption cancelled; \(redemption.points) points returned."))
        case .alreadyCancelled:
            throw StoreError(.conflict, .alreadyCancelled, lang("此兑换已经取消过。", "this redemption was cancelled already"))
        case .windowClosed(let redemption):
            let until = ConsoleFormat.time(redemption.cancellableUntil, lang: lang)
            throw StoreError(
                .conflict, .windowClosed, lang("此兑换的可取消时间已于 \(until) 结束。", "the time to cancel this redemption ended at \(until)"))
        }
    }

    /// The member as the audit log keeps it.
    func snapshot(_ id: UUID) async throws -> MemberSnapshot? {
        guard case .member(let profile) = try await directory.profile(of: id) else { return nil }
        return MemberSnapshot(profile)
    }
}
