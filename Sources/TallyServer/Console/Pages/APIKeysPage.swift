import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// `/console/api-keys` (admins, `manageAPIKeys`): the keys (prefix, name, scopes, state, dates),
/// a new key, and revoking one after a confirmation. A new key's secret is shown once, in the
/// answer to the form that made it (a page that no cache keeps: console pages are no-store), and
/// never again: only its hash is stored. `APIKeyStore` is the one `tally apikey` uses.
struct APIKeysPage {
    let keys: APIKeyStore
    let audit: StaffAudit

    /// What the audit log keeps of a key: never its secret.
    struct Audited: Encodable, Sendable {
        let prefix: String
        let name: String
        let scopes: [String]
        let expiresAt: Date?
        let revokedAt: Date?

        init(_ key: APIKey) {
            prefix = key.prefix
            name = key.name
            scopes = key.scopes.map(\.rawValue).sorted()
            expiresAt = key.expiresAt
            revokedAt = key.revokedAt
        }
    }

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/api-keys", .apiKeys, .manageAPIKeys) { console in try await show(console) }
        routes.action("/console/api-keys/create", .apiKeys, .manageAPIKeys) { console, form in try await create(console, form) }
        routes.page("/console/api-keys/revoke", .apiKeys, .manageAPIKeys) { console in try await confirmRevoke(console) }
        routes.action("/console/api-keys/revoke", .apiKeys, .manageAPIKeys) { console, form in try await revoke(console, form) }
    }

    private func create(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        do {
            var scopes = Set<Scope>()
            for name in form.all("scope") {
                guard let scope = Scope(rawValue: name) else {
                    throw StoreError(.invalid, .invalidScopes, lang("未知的权限范围：\(name)", "Unknown scope: \(name)"))
                }
                scopes.insert(scope)
            }
            var expiry: Date?
            if let text = form["expires"] {
                // The key works through the whole of the day given, in the programme's time zone.
                guard let day = ConsoleFormat.parseDay(text) else {
                    throw StoreError(.invalid, .invalidExpiry, lang("有效期格式应为 YYYY-MM-DD。", "The expiry is written YYYY-MM-DD."))
                }
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = ConsoleFormat.timeZone
                expiry = calendar.date(byAdding: .day, value: 1, to: day)
            }
            let (key, secret) = try await keys.create(name: form["name"] ?? "", scopes: scopes, expiresAt: expiry)
            try await audit.record(console.audit, action: "apikey.create", target: key.prefix, before: nil, after: Audited(key))
            return try await show(console, created: (key, secret))
        } catch let error as StoreError {
            return try await show(console, typed: form, refusal: error)
        }
    }

    private func confirmRevoke(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let prefix = console.query("prefix") ?? ""
        guard let key = try await keys.list().first(where: { $0.prefix == prefix }) else {
            throw StoreError(.notFound, .keyNotFound, lang("没有前缀为 \(prefix) 的 API 密钥。", "No API key with prefix \(prefix)."))
        }
        let body: HTML = """
            <div class="card">
            <p>\(lang("吊销后，使用此密钥的系统将立即无法访问 API，且无法恢复。",
                "Once revoked, the systems using this key can no longer call the API, at once; it cannot be undone."))</p>
            <dl class="facts"><dt>\(lang("前缀", "Prefix"))</dt><dd><code>\(key.prefix)</code></dd>\
            <dt>\(lang("名称", "Name"))</dt><dd>\(key.name)</dd>\
            <dt>\(lang("权限范围", "Scopes"))</dt><dd>\(key.scopes.map(\.rawValue).sorted().joined(separator: ", "))</dd></dl>
            <form class="inline" method="post" action="/console/api-keys/revoke">\(ConsoleForm.csrfField(console.csrf))\
            <input type="hidden" name="prefix" value="\(key.prefix)">\
            <button type="submit" class="danger">\(lang("确认吊销", "Revoke this key"))</button> \
            <a href="/console/api-keys">\(lang("取消", "Cancel"))</a></form>
            </div>
            """
        return console.page(.apiKeys, title: lang("吊销 API 密钥", "Revoke an API key"), body)
    }

    private func revoke(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let prefix = form["prefix"] ?? ""
        guard let before = try await keys.list().first(where: { $0.prefix == prefix }) else {
            let error = StoreError(.notFound, .keyNotFound, lang("没有前缀为 \(prefix) 的 API 密钥。", "No API key with prefix \(prefix)."))
            return try await show(console, refusal: error)
        }
        let after = try await keys.revoke(prefix: prefix)
        try await audit.record(console.audit, action: "apikey.revoke", target: prefix, before: Audited(before), after: Audited(after))
        return console.done("/console/api-keys", notice: lang("已吊销 API 密钥 \(prefix)。", "API key \(prefix) was revoked."))
    }

    static func state(_ key: APIKey, _ lang: ConsoleLanguage, now: Date = Date()) -> (String, String) {
        if key.revokedAt != nil { return (lang("已吊销", "revoked"), "bad") }
        if let expiresAt = key.expiresAt, expiresAt <= now { return (lang("已过期", "expired"), "warn") }
        return (lang("有效", "active"), "good")
    }

    private func show(
        _ console: ConsoleRequest, created: (APIKey, String)? = nil, typed: ConsoleFormBody? = nil, refusal: StoreError? = nil
    ) async throws -> Response {
        let lang = console.lang
        let all = try await keys.list()
        let table = ConsoleTable(
            caption: lang("API 密钥", "API keys"),
            columns: [
                .init(lang("前缀", "Prefix")), .init(lang("名称", "Name")), .init(lang("权限范围", "Scopes")), .init(lang("状态", "State")),
                .init(lang("创建时间", "Created")), .init(lang("到期", "Expires")), .init(lang("操作", "Actions")),
            ],
            rows: all.reversed().map { key in
                let (state, tone) = Self.state(key, lang)
                let revoke: ConsoleTable.Cell =
                    key.revokedAt == nil
                    ? .init(
                        "",
                        html:
                            "<a href=\"\(ConsoleURL.make("/console/api-keys/revoke", [("prefix", key.prefix)]))\">\(lang("吊销…", "Revoke…"))</a>"
                    ) : .init("")
                return [
                    .init(key.prefix, html: "<code>\(key.prefix)</code>"), .init(key.name),
                    .init(key.scopes.map(\.rawValue).sorted().joined(separator: " ")),
                    .init(state, html: "<span class=\"badge \(tone)\">\(state)</span>"),
                    .init(ConsoleFormat.time(key.createdAt, lang: lang)),
                    .init(key.expiresAt.map { ConsoleFormat.time($0, lang: lang) } ?? lang("不过期", "never")), revoke,
                ]
            },
            empty: lang("还没有 API 密钥。", "No API keys yet."))
        if console.wantsCSV { return console.csv(table, name: "api-keys") }
        var body: HTML = RefusalNotice.html(refusal, lang)
        if let created {
            let (key, secret) = created
            body += """
                <div class="notice good" role="status"><p><strong>\(lang("已创建 API 密钥 \(key.prefix)。", "API key \(key.prefix) was created."))</strong> \
                \(lang("密钥只显示这一次：请立即复制并保存到调用方的密钥库中，离开此页后无法再次查看。",
                    "Its secret is shown this once: copy it into the client's secret store now; it cannot be shown again."))</p>
                <label>\(lang("密钥", "Secret"))<input id="new-secret" value="\(secret)" readonly size="60" \
                onfocus="this.select()" autocomplete="off" spellcheck="false"></label></div>
                """
        }
        body += table.html(csvURL: console.csvURL, lang: lang)
        let scopes = CheckboxGroup.group(
            lang("权限范围", "Scopes"), name: "scope",
            options: Scope.allCases.map { ($0.rawValue, "<code>\($0.rawValue)</code> \(Self.describe($0, lang))") },
            checked: Set(typed?.all("scope") ?? []))
        body += """
            <form class="card" method="post" action="/console/api-keys/create">
            \(ConsoleForm.csrfField(console.csrf))
            <h2>\(lang("新建 API 密钥", "New API key"))</h2>
            <div class="grid">
            \(ConsoleForm.field(lang("名称（谁在使用，例如“3 号线打码机”）", "Name (who uses it, e.g. \"line 3 printer\")"), name: "name", value: typed?["name"], required: true, extra: "maxlength=\"100\""))
            \(ConsoleForm.field(lang("有效期至（含当天，可不填）", "Valid until (that day included; optional)"), name: "expires", value: typed?["expires"], type: "date"))
            </div>
            \(scopes)
            <p><button type="submit">\(lang("创建", "Create"))</button></p>
            </form>
            """
        return console.page(
            .apiKeys, title: ConsoleSection.apiKeys.title(lang), status: refusal.map(ConsoleResponse.status(of:)) ?? .ok, body)
    }

    static func describe(_ scope: Scope, _ lang: ConsoleLanguage) -> String {
        switch scope {
        case .mint: lang("包装产线：批次、激活、作废、导出码", "packaging line: batches, activating, voiding, exporting codes")
        case .claim: lang("代会员领取积分（渠道后台）", "claim codes for members (channel backends)")
        case .crmRead: lang("读取会员与报表", "read members and reports")
        case .crmWrite: lang("修改会员：调整积分、关联身份、合并", "change members: adjust points, link identities, merge")
        case .redeem: lang("兑换礼品", "redeem rewards")
        case .campaigns: lang("营销活动", "campaigns")
        case .admin: lang("全部权限，包括产品、Webhook 与积分规则", "everything, including products, webhooks and the programme")
        }
    }
}
