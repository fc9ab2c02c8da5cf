import Foundation
import Hummingbird
import TallyCore

/// The webhook page's forms: each checked by the store the API uses, audited, and refused
/// without a change.
extension WebhooksPage {
    /// Subscribes; the answer is the page with the signing secret, this once.
    func create(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let fields = WebhookSubscriptionFields(url: form["url"], eventTypes: form.all("event_types"), active: form["active"] == "true")
        do {
            let created = try await database.transaction(logger: console.logger) { connection in
                let created = try await subscriptions.create(fields, on: connection)
                try await audit.record(
                    console.audit, action: "webhook.create", target: created.subscription.id.uuidString.lowercased(), before: nil,
                    after: created.subscription, on: connection)
                return created
            }
            return try await show(console, created: created)
        } catch let error as StoreError {
            return try await show(console, typed: form, refusal: error)
        }
    }

    /// Turns a subscription off or on.
    func update(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try subscriptionID(form["id"], lang)
        guard let active = form["active"].flatMap(Bool.init) else {
            throw StoreError(.invalid, .invalidActive, lang("active 须为 true 或 false。", "active is true or false."))
        }
        let before = try await subscriptions.get(id: id)
        let after = try await subscriptions.update(id: id, WebhookSubscriptionFields(active: active))
        try await audit.record(console.audit, action: "webhook.update", target: id.uuidString.lowercased(), before: before, after: after)
        return console.done(
            "/console/webhooks",
            notice: active ? lang("已启用 \(after.url)。", "\(after.url) is on.") : lang("已停用 \(after.url)。", "\(after.url) is off."))
    }

    func confirmDelete(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let subscription = try await subscriptions.get(id: try subscriptionID(console.query("id"), lang))
        let body: HTML = """
            <div class="card">
            <p>\(lang("删除后，此地址不再收到新事件，尚未送达的投递将作为死信结束；投递记录保留。",
                "Once deleted, the URL gets no more events and its pending deliveries end as dead letters; its deliveries stay on record."))</p>
            <dl class="facts"><dt>URL</dt><dd>\(subscription.url)</dd>\
            <dt>\(lang("事件", "Events"))</dt><dd>\(subscription.eventTypes.joined(separator: ", "))</dd></dl>
            <form class="inline" method="post" action="/console/webhooks/delete">\(ConsoleForm.csrfField(console.csrf))\
            <input type="hidden" name="id" value="\(subscription.id.uuidString.lowercased())">\
            <button type="submit" class="danger">\(lang("确认删除", "Delete this subscription"))</button> \
            <a href="/console/webhooks">\(lang("取消", "Cancel"))</a></form>
            </div>
            """
        return console.page(.webhooks, title: lang("删除 Webhook 订阅", "Delete a webhook subscription"), body)
    }

    func delete(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try subscriptionID(form["id"], lang)
        let before = try await subscriptions.get(id: id)
        try await subscriptions.delete(id: id)
        try await audit.record(console.audit, action: "webhook.delete", target: id.uuidString.lowercased(), before: before, after: nil)
        return console.done("/console/webhooks", notice: lang("已删除订阅 \(before.url)。", "The subscription to \(before.url) was deleted."))
    }

    /// Sends one delivery again (not one still pending: the store refuses it).
    func replay(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try subscriptionID(form["subscription"], lang)
        guard let deliveryID = form["delivery"].flatMap({ Int64($0) }) else {
            throw StoreError(.notFound, .deliveryNotFound, lang("没有此投递。", "No such delivery."))
        }
        let before = try await deliveries.recent(subscription: id, status: nil, eventType: nil, before: deliveryID + 1, limit: 1)
            .first { $0.delivery.id == deliveryID }?.delivery
        let after = try await deliveries.replay(subscription: id, delivery: deliveryID)
        try await audit.record(console.audit, action: "webhook.replay", target: "delivery:\(deliveryID)", before: before, after: after)
        return console.done(
            "/console/webhooks", notice: lang("投递 \(deliveryID) 将重新发送。", "Delivery \(deliveryID) will be sent again."))
    }

    /// Sends every dead letter of a subscription again.
    func replayDead(_ console: ConsoleRequest, _ form: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        let id = try subscriptionID(form["subscription"], lang)
        let count = try await deliveries.replayDead(subscription: id)
        struct Replayed: Encodable, Sendable { let replayed: Int }
        try await audit.record(
            console.audit, action: "webhook.replay_dead", target: id.uuidString.lowercased(), before: nil, after: Replayed(replayed: count))
        return console.done(
            "/console/webhooks", notice: lang("\(count) 条死信将重新发送。", "\(count) dead letters will be sent again."))
    }

    private func subscriptionID(_ text: String?, _ lang: ConsoleLanguage) throws -> UUID {
        guard let text, let id = UUID(uuidString: text) else {
            throw StoreError(.notFound, .webhookNotFound, lang("没有此 Webhook 订阅：\(text ?? "")", "No webhook subscription \(text ?? "")."))
        }
        return id
    }
}
