import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import TallyCore

/// `/console/webhooks` (admins, `manageWebhooks`): the subscriptions (subscribe, turn off and
/// on, delete), recent deliveries filtered by subscription, status and event, and the dead
/// letters, each replayable as the API replays them; each table as CSV (`?table=…&format=csv`,
/// the filters shown). The actions are in `WebhooksPage+Actions`.
struct WebhooksPage {
    let subscriptions: WebhookSubscriptionStore
    let deliveries: WebhookDeliveryStore
    let database: PostgresClient
    let audit: StaffAudit

    static let pageSize = 50
    static let csvRows = 10_000

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/webhooks", .webhooks, .manageWebhooks) { console in try await show(console) }
        routes.action("/console/webhooks/create", .webhooks, .manageWebhooks) { console, form in try await create(console, form) }
        routes.action("/console/webhooks/update", .webhooks, .manageWebhooks) { console, form in
            try await refusable(console) { try await update(console, form) }
        }
        routes.page("/console/webhooks/delete", .webhooks, .manageWebhooks) { console in try await confirmDelete(console) }
        routes.action("/console/webhooks/delete", .webhooks, .manageWebhooks) { console, form in
            try await refusable(console) { try await delete(console, form) }
        }
        routes.action("/console/webhooks/replay", .webhooks, .manageWebhooks) { console, form in
            try await refusable(console) { try await replay(console, form) }
        }
        routes.action("/console/webhooks/replay-dead", .webhooks, .manageWebhooks) { console, form in
            try await refusable(console) { try await replayDead(console, form) }
        }
    }

    /// The page again with the refusal of a form on it (not a page of its own: the form's
    /// address answers no GET).
    private func refusable(_ console: ConsoleRequest, _ action: () async throws -> Response) async throws -> Response {
        do {
            return try await action()
        } catch let error as StoreError {
            return try await show(console, refusal: error)
        }
    }

    /// The deliveries' filters as given in the query, checked.
    struct Filters {
        var subscription: UUID?
        var status: WebhookDelivery.Status?
        var event: String?
        var before: Int64?

        init(_ console: ConsoleRequest) throws {
            let lang = console.lang
            if let text = console.query("subscription") {
                guard let id = UUID(uuidString: text) else {
                    throw StoreError(.notFound, .webhookNotFound, lang("没有此 Webhook 订阅：\(text)", "No webhook subscription \(text)."))
                }
                subscription = id
            }
            if let text = console.query("status") {
                guard let status = WebhookDelivery.Status(rawValue: text) else {
                    throw StoreError(
                        .invalid, .invalidStatus, lang("状态须为 pending、delivered 或 dead。", "The status is pending, delivered or dead."))
                }
                self.status = status
            }
            if let text = console.query("event") {
                guard WebhookEventType.all.contains(text) else {
                    throw StoreError(.invalid, .invalidEventType, lang("未知的事件类型：\(text)", "Unknown event type: \(text)"))
                }
                event = text
            }
            before = console.query("before").flatMap { Int64($0) }
        }

        var query: [(String, String?)] {
            [("subscription", subscription?.uuidString.lowercased()), ("status", status?.rawValue), ("event", event)]
        }
    }

    func show(_ console: ConsoleRequest, created: NewWebhookSubscription? = nil, typed: ConsoleFormBody? = nil, refusal: StoreError? = nil)
        async throws -> Response
    {
        let lang = console.lang
        let filters = try Filters(console)
        let table = console.query("table")
        let live = try await subscriptions.list()
        let limit = console.wantsCSV ? Self.csvRows : Self.pageSize
        let subscriptionTable = subscriptionsTable(live, console)
        if console.wantsCSV && table == "subscriptions" { return console.csv(subscriptionTable, name: "webhooks") }
        let recent = try await deliveries.recent(
            subscription: filters.subscription, status: filters.status, eventType: filters.event, before: filters.before, limit: limit)
        let recentTable = deliveriesTable(recent, console, caption: lang("最近的投递", "Recent deliveries"))
        if console.wantsCSV && table == "deliveries" { return console.csv(recentTable, name: "webhook-deliveries") }
        let dead = try await deliveries.recent(
            subscription: filters.subscription, status: .dead, eventType: filters.event, before: nil, limit: limit)
        let deadTable = deliveriesTable(dead, console, caption: lang("死信（重试用尽仍未送达）", "Dead letters (not delivered after every try)"))
        if console.wantsCSV {
            guard table == "dead" else {
                throw StoreError(
                    .invalid, .invalidFormat,
                    lang("table 须为 subscriptions、deliveries 或 dead。", "table is subscriptions, deliveries or dead."))
            }
            return console.csv(deadTable, name: "webhook-dead-letters")
        }
        func csvURL(_ name: String) -> String {
            let shown: [(String, String?)] = name == "subscriptions" ? [] : filters.query
            return ConsoleURL.make("/console/webhooks", shown + [("table", name), ("format", "csv")])
        }
        var body: HTML = RefusalNotice.html(refusal, lang)
        if let created {
            body += """
                <div class="notice good" role="status"><p><strong>\(lang("已创建订阅", "Subscribed")) \(created.subscription.url)</strong> \
                \(lang("签名密钥只显示这一次：请立即复制到接收方，离开此页后无法再次查看。",
                    "Its signing secret is shown this once: copy it to the receiver now; it cannot be shown again."))</p>
                <label>\(lang("签名密钥", "Signing secret"))<input id="new-secret" value="\(created.secret)" readonly size="70" \
                onfocus="this.select()" autocomplete="off" spellcheck="false"></label></div>
                """
        }
        body += "<h2>\(lang("订阅", "Subscriptions"))</h2>"
        body += subscriptionTable.html(csvURL: csvURL("subscriptions"), lang: lang)
        body += createForm(console, typed: typed)
        body += "<h2 id=\"deliveries\">\(lang("投递", "Deliveries"))</h2>"
        body += filterForm(console, live, filters)
        body += recentTable.html(csvURL: csvURL("deliveries"), lang: lang)
        if recent.count == Self.pageSize, let last = recent.last {
            let url = ConsoleURL.make("/console/webhooks", filters.query + [("before", String(last.delivery.id))])
            body += "<p><a href=\"\(url)#deliveries\">\(lang("更早的投递", "Older deliveries"))</a></p>"
        }
        body += "<h2>\(lang("死信", "Dead letters"))</h2>"
        body += deadTable.html(csvURL: csvURL("dead"), lang: lang)
        return console.page(
            .webhooks, title: ConsoleSection.webhooks.title(lang), status: refusal.map(ConsoleResponse.status(of:)) ?? .ok, body)
    }

    private func subscriptionsTable(_ live: [WebhookSubscription], _ console: ConsoleRequest) -> ConsoleTable {
        let lang = console.lang
        return ConsoleTable(
            caption: lang("Webhook 订阅", "Webhook subscriptions"),
            columns: [
                .init("ID"), .init("URL"), .init(lang("事件", "Events")), .init(lang("状态", "State")), .init(lang("创建时间", "Created")),
                .init(lang("操作", "Actions")),
            ],
            rows: live.map { subscription in
                let id = subscription.id.uuidString.lowercased()
                let state = subscription.active ? lang("启用", "active") : lang("已停用", "off")
                let toggle: HTML = """
                    <form class="inline" method="post" action="/console/webhooks/update">\(ConsoleForm.csrfField(console.csrf))\
                    <input type="hidden" name="id" value="\(id)"><input type="hidden" name="active" value="\(subscription.active ? "false" : "true")">\
                    <button type="submit" class="secondary">\(subscription.active ? lang("停用", "Turn off") : lang("启用", "Turn on"))</button></form>
                    <form class="inline" method="post" action="/console/webhooks/replay-dead">\(ConsoleForm.csrfField(console.csrf))\
                    <input type="hidden" name="subscription" value="\(id)">\
                    <button type="submit" class="secondary">\(lang("重发全部死信", "Replay its dead letters"))</button></form>
                    <a href="\(ConsoleURL.make("/console/webhooks/delete", [("id", id)]))">\(lang("删除…", "Delete…"))</a>
                    """
                return [
                    .init(
                        id,
                        html:
                            "<a href=\"\(ConsoleURL.make("/console/webhooks", [("subscription", id)]))#deliveries\"><code>\(String(id.prefix(8)))</code></a>"
                    ),
                    .init(subscription.url), .init(subscription.eventTypes.joined(separator: " ")),
                    .init(state, html: "<span class=\"badge \(subscription.active ? "good" : "warn")\">\(state)</span>"),
                    .init(ConsoleFormat.time(subscription.createdAt, lang: lang)), .init("", html: toggle),
                ]
            },
            empty: lang("还没有订阅。", "No subscriptions yet."))
    }

    private func deliveriesTable(_ items: [WebhookDeliveryListing], _ console: ConsoleRequest, caption: String) -> ConsoleTable {
        let lang = console.lang
        return ConsoleTable(
            caption: caption,
            columns: [
                .init(lang("投递", "Delivery"), numeric: true), .init(lang("订阅", "Subscription")), .init(lang("事件", "Event")),
                .init(lang("状态", "Status")), .init(lang("尝试次数", "Tries"), numeric: true), .init(lang("最后应答", "Last answer")),
                .init(lang("最后错误", "Last error")), .init(lang("创建时间", "Created")), .init(lang("送达时间", "Delivered")),
                .init(lang("操作", "Actions")),
            ],
            rows: items.map { item in
                let delivery = item.delivery
                let tone = delivery.status == .delivered ? "good" : delivery.status == .dead ? "bad" : "warn"
                let replay: ConsoleTable.Cell =
                    delivery.status == .pending
                    ? .init("")
                    : .init(
                        "",
                        html: """
                            <form class="inline" method="post" action="/console/webhooks/replay">\(ConsoleForm.csrfField(console.csrf))\
                            <input type="hidden" name="subscription" value="\(item.subscriptionId.uuidString.lowercased())">\
                            <input type="hidden" name="delivery" value="\(delivery.id)">\
                            <button type="submit" class="secondary">\(lang("重发", "Replay"))</button></form>
                            """)
                return [
                    .init(delivery.id), .init(item.url), .init(delivery.eventType),
                    .init(delivery.status.rawValue, html: "<span class=\"badge \(tone)\">\(delivery.status.rawValue)</span>"),
                    .init(delivery.attempts), .init(delivery.lastStatus.map(String.init) ?? ""), .init(delivery.lastError ?? ""),
                    .init(ConsoleFormat.time(delivery.createdAt, lang: lang)),
                    .init(delivery.deliveredAt.map { ConsoleFormat.time($0, lang: lang) } ?? ""), replay,
                ]
            },
            empty: lang("没有符合条件的投递。", "No deliveries match."))
    }

    private func filterForm(_ console: ConsoleRequest, _ live: [WebhookSubscription], _ filters: Filters) -> HTML {
        let lang = console.lang
        let all = lang("全部", "All")
        return """
            <form class="inline card" method="get" action="/console/webhooks" role="search">
            \(ConsoleForm.select(lang("订阅", "Subscription"), name: "subscription",
                options: [("", all)] + live.map { ($0.id.uuidString.lowercased(), $0.url) },
                selected: filters.subscription?.uuidString.lowercased() ?? ""))
            \(ConsoleForm.select(lang("状态", "Status"), name: "status",
                options: [("", all)] + WebhookDelivery.Status.allCases.map { ($0.rawValue, $0.rawValue) }, selected: filters.status?.rawValue ?? ""))
            \(ConsoleForm.select(lang("事件", "Event"), name: "event",
                options: [("", all)] + WebhookEventType.all.map { ($0, $0) }, selected: filters.event ?? ""))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
    }

    private func createForm(_ console: ConsoleRequest, typed: ConsoleFormBody?) -> HTML {
        let lang = console.lang
        let events = CheckboxGroup.group(
            lang("事件类型", "Event types"), name: "event_types", options: WebhookEventType.all.map { ($0, "\($0)") },
            checked: Set(typed?.all("event_types") ?? []))
        let active = CheckboxGroup.box(
            name: "active", value: "true", checked: typed == nil || typed?["active"] != nil, "\(lang("立即启用", "Active now"))")
        return """
            <form class="card" method="post" action="/console/webhooks/create">
            \(ConsoleForm.csrfField(console.csrf))
            <h2>\(lang("新建订阅", "New subscription"))</h2>
            \(ConsoleForm.field(lang("接收地址（http:// 或 https://）", "Receiver URL (http:// or https://)"), name: "url", value: typed?["url"], type: "url", required: true, extra: "size=\"60\" maxlength=\"2000\""))
            \(events)
            \(active)
            <p><button type="submit">\(lang("订阅", "Subscribe"))</button></p>
            </form>
            """
    }
}
