import Foundation
import Hummingbird
import PostgresNIO
import TallyCore

/// `/console/members`: customer service's view of members. Search by phone (however it was
/// typed), by channel identity or by id; a member's profile, ledger, identities and
/// redemptions; and the changes staff make (adjust, link, unlink, merge, cancel a redemption),
/// each through the store the API uses and each recorded in the staff audit log.
struct MembersPage {
    let database: PostgresClient
    let directory: MemberDirectory
    let ledger: MemberLedger
    let links: IdentityLinks
    let adjuster: PointsAdjuster
    let merger: MemberMerger
    let redemptions: RedemptionStore
    let audit: StaffAudit

    init(_ deps: Dependencies) {
        database = deps.database
        directory = deps.directory
        ledger = deps.ledger
        links = deps.links
        adjuster = deps.adjuster
        merger = deps.merger
        redemptions = deps.redemptions
        audit = deps.staffAudit
    }

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/members", .members, .viewMembers) { console in try await search(console) }
        routes.page("/console/members/{id}", .members, .viewMembers) { console in try await profile(console) }
        routes.page("/console/members/{id}/merge", .members, .editMembers) { console in try await confirmMerge(console) }
        routes.action("/console/members/{id}/adjust", .members, .editMembers) { console, form in try await adjust(console, form) }
        routes.action("/console/members/{id}/link", .members, .editMembers) { console, form in try await link(console, form) }
        routes.action("/console/members/{id}/unlink", .members, .editMembers) { console, form in try await unlink(console, form) }
        routes.action("/console/members/{id}/merge", .members, .editMembers) { console, form in try await merge(console, form) }
        routes.action("/console/members/{id}/redemptions/{redemption}/cancel", .members, .cancelRedemptions) { console, form in
            try await cancelRedemption(console, form)
        }
    }

    /// One member found by a search: its profile, or the survivor it was merged into.
    private struct Found {
        let id: UUID
        let lookup: Lookup<MemberProfile>
        let lastActivity: Date?
    }

    private func search(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let query = console.query("q")
        let channel = console.query("channel")
        let externalID = console.query("external_id")
        var found: [Found] = []
        var problem: StoreError?
        do {
            if let query {
                if let id = UUID(uuidString: query) {
                    found += try await self.found(id: id)
                } else {
                    found += try await self.found(Identity(channel: ChannelName.phone.rawValue, externalId: query))
                }
            }
            if channel != nil || externalID != nil {
                found += try await self.found(Identity(channel: channel ?? "", externalId: externalID ?? ""))
            }
        } catch let error as StoreError where error.kind == .invalid && !console.wantsCSV {
            // A number or a channel that cannot be one: said beside the form, which keeps what was typed.
            problem = error
        }
        let table = ConsoleTable(
            caption: lang("搜索结果", "Results"),
            columns: [
                .init(lang("会员 ID", "Member ID")), .init(lang("手机号", "Phone")), .init(lang("等级", "Tier")),
                .init(lang("余额", "Balance"), numeric: true), .init(lang("领取次数", "Claims"), numeric: true),
                .init(lang("最近活动", "Last activity")), .init(lang("状态", "Status")),
            ],
            rows: found.map { row(of: $0, lang: lang) },
            empty: query == nil && channel == nil && externalID == nil
                ? lang("输入手机号、渠道身份或会员 ID 搜索。", "Search by phone, channel identity or member ID.")
                : lang("没有找到会员。", "No member found."))
        if console.wantsCSV { return console.csv(table, name: "members") }
        let error: HTML = problem.map { "<div class=\"notice bad\" role=\"alert\">\($0.message)</div>" } ?? ""
        let form: HTML = """
            <form class="inline card" method="get" action="/console/members" role="search">
            \(ConsoleForm.field(lang("手机号或会员 ID", "Phone or member ID"), name: "q", value: query, extra: "placeholder=\"138 0013 8000\" autofocus"))
            \(ConsoleForm.field(lang("渠道", "Channel"), name: "channel", value: channel, extra: "placeholder=\"wechat_unionid\""))
            \(ConsoleForm.field(lang("渠道用户 ID", "External ID"), name: "external_id", value: externalID))
            <button type="submit">\(lang("搜索", "Search"))</button>
            </form>
            """
        return console.page(
            .members, title: ConsoleSection.members.title(lang), status: problem == nil ? .ok : .unprocessableContent,
            form + error + table.html(csvURL: console.csvURL, lang: lang))
    }

    private func found(id: UUID) async throws -> [Found] {
        do {
            let lookup = try await directory.profile(of: id)
            return [Found(id: id, lookup: lookup, lastActivity: try await lastActivity(lookup))]
        } catch let error as StoreError where error.kind == .notFound {
            return []
        }
    }

    private func found(_ identity: Identity) async throws -> [Found] {
        do {
            let profile = try await directory.find(identity)
            return [Found(id: profile.id, lookup: .member(profile), lastActivity: try await lastActivity(.member(profile)))]
        } catch let error as StoreError where error.kind == .notFound {
            return []
        }
    }

    /// The later of the last scan and the last ledger entry.
    private func lastActivity(_ lookup: Lookup<MemberProfile>) async throws -> Date? {
        guard case .member(let profile) = lookup else { return nil }
        guard case .member(let entries) = try await ledger.entries(of: profile.id, LedgerFilter(limit: 1)) else {
            return profile.lastScanAt
        }
        return [profile.lastScanAt, entries.first?.createdAt].compactMap { $0 }.max()
    }

    private func row(of found: Found, lang: ConsoleLanguage) -> [ConsoleTable.Cell] {
        let id = found.id.uuidString.lowercased()
        switch found.lookup {
        case .merged(let survivor):
            let to = survivor.uuidString.lowercased()
            return [
                .link(id, to: "/console/members/\(id)"), .init(""), .init(""), .init(""), .init(""), .init(""),
                .init(
                    lang("已合并到 ", "Merged into ") + to, html: "\(lang("已合并到 ", "Merged into "))<a href=\"/console/members/\(to)\">\(to)</a>"
                ),
            ]
        case .member(let profile):
            return [
                .link(id, to: "/console/members/\(id)"), .init(Self.phones(of: profile).joined(separator: " ")), .init(profile.tier ?? ""),
                .init(profile.balance), .init(profile.claims), .init(ConsoleFormat.time(found.lastActivity, lang: lang)),
                .init(lang("正常", "Active")),
            ]
        }
    }

    /// The member's phone numbers, in full (staff see them; consumer pages mask them).
    static func phones(of profile: MemberProfile) -> [String] {
        profile.identities.filter { $0.channel == ChannelName.phone.rawValue }.map(\.externalId)
    }

    /// The member id in the path; 404 when it is not one.
    func memberID(_ console: ConsoleRequest) throws -> UUID {
        let text = console.context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw StoreError(.notFound, .memberNotFound, "no member \(text)") }
        return id
    }

    /// The member in the path, which an action may change only if it was not merged away.
    func currentMember(_ console: ConsoleRequest) async throws -> UUID {
        let id = try memberID(console)
        if case .merged(let survivor) = try await directory.lookup(id) {
            throw StoreError(
                .conflict, .memberMerged,
                console.lang(
                    "会员 \(id.uuidString.lowercased()) 已合并到 \(survivor.uuidString.lowercased())，请在该会员上操作。",
                    "member \(id.uuidString.lowercased()) was merged into \(survivor.uuidString.lowercased()); act on that member"))
        }
        return id
    }

    static func target(_ id: UUID) -> String { "member:\(id.uuidString.lowercased())" }
}
