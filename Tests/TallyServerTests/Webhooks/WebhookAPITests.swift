import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// `/api/v1/webhooks`: subscriptions and their deliveries as the brand's admin sees them,
/// and every refusal, each of which changes nothing.
@Suite("Webhooks API over real HTTP", .serialized)
struct WebhookAPITests {
    static let receiver = "https://crm.example.cn/tally/events"

    @Test("create shows the secret once; get, list and patch never do")
    func lifecycle() async throws {
        try await TestApp.run { app in
            let created = try await app.request(
                .post, "/api/v1/webhooks", as: .admin,
                json: """
                    {"url": "\(Self.receiver)", "event_types": ["points.credited", "member.created", "points.credited"]}
                    """)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let webhook = try decode(CreatedWebhook.self, created)
            #expect(webhook.secret.wholeMatch(of: /[0-9a-f]{64}/) != nil)
            #expect(webhook.eventTypes == ["points.credited", "member.created"], "repeats are dropped")
            #expect(webhook.active && webhook.url == Self.receiver)
            let stored = try await app.database.query(
                "SELECT encode(secret, 'hex') FROM webhook_subscriptions", logger: TestDatabase.logger)
            for try await hex in stored.decode(String.self) { #expect(hex == webhook.secret) }

            let got = try await app.request(.get, "/api/v1/webhooks/\(webhook.id)", as: .admin)
            #expect(got.status == .ok)
            #expect(!String(buffer: got.body).contains("secret"))
            let list = try await app.request(.get, "/api/v1/webhooks", as: .admin)
            #expect(list.status == .ok)
            #expect(String(buffer: list.body).contains(webhook.id.uuidString))
            #expect(!String(buffer: list.body).contains("secret"))

            let patched = try await app.request(
                .patch, "/api/v1/webhooks/\(webhook.id)", as: .admin,
                json: """
                    {"url": "http://10.0.0.7:9000/hook", "event_types": ["tier.changed"], "active": false}
                    """)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            let changed = try decode(WebhookSubscription.self, patched)
            #expect(changed.url == "http://10.0.0.7:9000/hook" && changed.eventTypes == ["tier.changed"] && !changed.active)
            #expect(!String(buffer: patched.body).contains("secret"))
            let partly = try await app.request(.patch, "/api/v1/webhooks/\(webhook.id)", as: .admin, json: #"{"active": true}"#)
            #expect(try decode(WebhookSubscription.self, partly).url == "http://10.0.0.7:9000/hook", "fields left out keep their value")

            #expect(try await app.request(.delete, "/api/v1/webhooks/\(webhook.id)", as: .admin).status == .noContent)
            for (method, path) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.patch, ""), (.get, "/deliveries"), (.post, "/replay")] {
                let response = try await app.request(
                    method, "/api/v1/webhooks/\(webhook.id)\(path)", as: .admin, json: method == .patch ? #"{"active": true}"# : nil)
                #expect(response.status == .notFound, "\(method) \(path) after delete: \(response.status)")
                #expect(try errorCode(response) == "webhook_not_found")
            }
            let empty = try await app.request(.get, "/api/v1/webhooks", as: .admin)
            #expect(String(buffer: empty.body) == #"{"items":[]}"#)
            #expect(try await app.count("webhook_subscriptions") == 1, "kept for the record")
        }
    }

    @Test("bad subscriptions are refused with a clear error and create nothing")
    func refusedCreates() async throws {
        try await TestApp.run { app in
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"event_types": ["member.created"]}"#, .unprocessableContent, "missing_url"),
                (#"{"url": "https://a.example/x"}"#, .unprocessableContent, "missing_event_types"),
                (#"{"url": "https://a.example/x", "event_types": []}"#, .unprocessableContent, "invalid_event_types"),
                (
                    #"{"url": "https://a.example/x", "event_types": ["points.credited", "points.stolen"]}"#, .unprocessableContent,
                    "invalid_event_type"
                ),
                (#"{"url": "ftp://a.example/x", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (#"{"url": "https://", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (#"{"url": "a.example/x", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (#"{"url": "http:a.example", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (#"{"url": "https://a.example/x y", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (#"{"url": "https://a.example/\u0000", "event_types": ["member.created"]}"#, .unprocessableContent, "invalid_url"),
                (
                    #"{"url": "https://a.example/\#(String(repeating: "x", count: 2000))", "event_types": ["member.created"]}"#,
                    .unprocessableContent, "invalid_url"
                ),
                (#"{"url": 7, "event_types": ["member.created"]}"#, .badRequest, "invalid_json"),
                (#"{"url": "https://a.example/x", "event_types": "member.created"}"#, .badRequest, "invalid_json"),
                (#"{"url": "https://a.example/x", "event_types": ["member.created"], "active": "yes"}"#, .badRequest, "invalid_json"),
                ("not json", .badRequest, "invalid_json"),
            ]
            for (body, status, code) in cases {
                let response = try await app.request(.post, "/api/v1/webhooks", as: .admin, json: body)
                #expect(response.status == status, "\(body.prefix(80)): \(response.status) \(String(buffer: response.body))")
                #expect(try errorCode(response) == code, "\(body.prefix(80))")
            }
            let unknown = try await app.request(
                .post, "/api/v1/webhooks", as: .admin, json: #"{"url": "https://a.example/x", "event_types": ["points.stolen"]}"#)
            let message = String(buffer: unknown.body)
            for type in WebhookEventType.all { #expect(message.contains(type), "the message lists \(type)") }
            #expect(try await app.count("webhook_subscriptions") == 0)

            // Schemes are case-insensitive: kept in lower case, the rest as given.
            let upper = try await app.subscribe("HTTPS://Crm.Example.cn/Hook", to: ["member.created"])
            #expect(upper.url == "https://Crm.Example.cn/Hook")
        }
    }

    @Test("bad changes are refused and change nothing; unknown ids are 404")
    func refusedUpdates() async throws {
        try await TestApp.run { app in
            let webhook = try await app.subscribe(Self.receiver, to: ["member.created"])
            let path = "/api/v1/webhooks/\(webhook.id)"
            for (body, status, code) in [
                (#"{"url": "mailto:x@example.cn"}"#, HTTPResponse.Status.unprocessableContent, "invalid_url"),
                (#"{"event_types": []}"#, .unprocessableContent, "invalid_event_types"),
                (#"{"event_types": ["tier.changed", "*"]}"#, .unprocessableContent, "invalid_event_type"),
                (#"{"url": "https://b.example/", "active": 1}"#, .badRequest, "invalid_json"),
                ("", .badRequest, "invalid_json"),
            ] {
                let response = try await app.request(.patch, path, as: .admin, json: body)
                #expect(response.status == status, "\(body): \(response.status)")
                #expect(try errorCode(response) == code, "\(body)")
            }
            let unchanged = try decode(WebhookSubscription.self, try await app.request(.get, path, as: .admin))
            #expect(unchanged.url == Self.receiver && unchanged.eventTypes == ["member.created"] && unchanged.active)

            for id in ["1", "not-a-uuid", UUID().uuidString] {
                for (method, suffix) in [
                    (HTTPRequest.Method.get, ""), (.patch, ""), (.delete, ""), (.get, "/deliveries"), (.post, "/replay"),
                    (.post, "/deliveries/1/replay"),
                ] {
                    let response = try await app.request(
                        method, "/api/v1/webhooks/\(id)\(suffix)", as: .admin, json: method == .patch ? "{}" : nil)
                    #expect(response.status == .notFound, "\(method) \(id)\(suffix): \(response.status)")
                    #expect(try errorCode(response) == "webhook_not_found" || suffix.contains("deliveries/1"), "\(method) \(id)\(suffix)")
                }
            }
        }
    }

    @Test("deliveries: filters, pages, bad parameters; replay refusals")
    func deliveriesAndReplayRefusals() async throws {
        // Nothing listens on port 9: every try fails at once, so deliveries stay pending for a while.
        try await TestApp.run(configure: {
            $0.webhooks = quickWebhooks(maxAttempts: 100, backoff: .seconds(60), timeout: .milliseconds(300))
        }) { app in
            let webhook = try await app.subscribe("http://127.0.0.1:9/none", to: ["points.credited"])
            let member = try await app.newMember()
            for points in 1...5 { try await app.adjust(member, by: Int64(points)) }
            let base = "/api/v1/webhooks/\(webhook.id)/deliveries"

            struct Page: Decodable {
                let items: [WebhookDelivery]
                let nextCursor: String?
            }
            let first = try decode(Page.self, try await app.request(.get, "\(base)?limit=3", as: .admin))
            #expect(first.items.count == 3)
            let cursor = try #require(first.nextCursor)
            let second = try decode(Page.self, try await app.request(.get, "\(base)?limit=3&cursor=\(cursor)", as: .admin))
            #expect(second.items.count == 2 && second.nextCursor == nil)
            let ids = (first.items + second.items).map(\.id)
            #expect(ids == ids.sorted(by: >), "newest first")
            #expect(Set(ids).count == 5)
            #expect(try await app.deliveries(webhook.id, status: "delivered").isEmpty)
            #expect(try await app.deliveries(webhook.id, status: "pending").count == 5)

            for (query, code) in [
                ("status=lost", "invalid_status"), ("limit=0", "invalid_limit"), ("limit=201", "invalid_limit"),
                ("cursor=-4", "invalid_cursor"),
            ] {
                let response = try await app.request(.get, "\(base)?\(query)", as: .admin)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorCode(response) == code, "\(query)")
            }

            let pending = try #require(ids.first)
            let busy = try await app.request(.post, "\(base)/\(pending)/replay", as: .admin)
            #expect(busy.status == .conflict)
            #expect(try errorCode(busy) == "delivery_pending")
            for missing in ["999999", "0", "x"] {
                let response = try await app.request(.post, "\(base)/\(missing)/replay", as: .admin)
                #expect(response.status == .notFound, "\(missing)")
                #expect(try errorCode(response) == "delivery_not_found")
            }
            // Another subscription's delivery is not found under this one.
            let other = try await app.subscribe("http://127.0.0.1:9/other", to: ["member.created"])
            let foreign = try await app.request(.post, "/api/v1/webhooks/\(other.id)/deliveries/\(pending)/replay", as: .admin)
            #expect(foreign.status == .notFound)

            let wrongStatus = try await app.request(
                .post, "/api/v1/webhooks/\(webhook.id)/replay", as: .admin, json: #"{"status": "delivered"}"#)
            #expect(wrongStatus.status == .unprocessableContent)
            #expect(try errorCode(wrongStatus) == "invalid_status")
            let none = try await app.request(.post, "/api/v1/webhooks/\(webhook.id)/replay", as: .admin)
            #expect(String(buffer: none.body) == #"{"replayed":0}"#)
            // Each is tried once (nothing listens there), and then waits a minute for the next try.
            let deadline = ContinuousClock.now + .seconds(10)
            var tried = try await app.deliveries(webhook.id, status: "pending")
            while !tried.allSatisfy({ $0.lastError != nil }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                tried = try await app.deliveries(webhook.id, status: "pending")
            }
            #expect(
                tried.count == 5 && tried.allSatisfy { $0.attempts == 1 && $0.lastError?.contains("Connection refused") == true },
                "\(tried)")
        }
    }

    @Test("an Idempotency-Key makes a retried create return the first subscription, without its secret, which is shown once")
    func idempotentCreate() async throws {
        try await TestApp.run { app in
            let body = #"{"url": "https://a.example/x", "event_types": ["member.merged"]}"#
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "sub-1"]
            let first = try await app.request(.post, "/api/v1/webhooks", as: .admin, json: body, headers: key)
            #expect(first.status == .created)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let created = try decode(CreatedWebhook.self, first)
            #expect(created.secret.wholeMatch(of: /[0-9a-f]{64}/) != nil)

            // The answer kept for retries has no secret.
            let stored = try await app.database.query(
                "SELECT convert_from(response, 'UTF8') FROM idempotency_keys WHERE key = 'sub-1'", logger: TestDatabase.logger)
            var storedBodies: [String] = []
            for try await text in stored.decode(String.self) { storedBodies.append(text) }
            #expect(storedBodies.count == 1)
            #expect(storedBodies.allSatisfy { !$0.contains("secret") && !$0.contains(created.secret) }, "\(storedBodies)")

            for _ in 0..<2 {
                let again = try await app.request(.post, "/api/v1/webhooks", as: .admin, json: body, headers: key)
                #expect(again.status == .created)
                #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let text = String(buffer: again.body)
                #expect(!text.contains("secret") && !text.contains(created.secret), "the replay shows the secret again: \(text)")
                let replayed = try decode(WebhookSubscription.self, again)
                #expect(replayed.id == created.id && replayed.url == created.url && replayed.eventTypes == created.eventTypes)
            }
            let reused = try await app.request(
                .post, "/api/v1/webhooks", as: .admin, json: #"{"url": "https://b.example/x", "event_types": ["member.merged"]}"#,
                headers: key)
            #expect(reused.status == .unprocessableContent)
            #expect(try errorCode(reused) == "idempotency_key_reused")
            #expect(try await app.count("webhook_subscriptions") == 1)
            // The secret that signs deliveries is still the one shown first.
            let secrets = try await app.database.query(
                "SELECT encode(secret, 'hex') FROM webhook_subscriptions", logger: TestDatabase.logger)
            for try await hex in secrets.decode(String.self) { #expect(hex == created.secret) }
        }
    }

    @Test("an answer stored with its secret (before the secret was left out) is replayed without it")
    func oldStoredAnswer() async throws {
        try await TestApp.run { app in
            let body = #"{"url": "https://a.example/x", "event_types": ["member.merged"]}"#
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "sub-old"]
            let first = try await app.request(.post, "/api/v1/webhooks", as: .admin, json: body, headers: key)
            let created = try decode(CreatedWebhook.self, first)
            // Put the secret back into the stored answer, as older servers kept it.
            try await app.database.query(
                "UPDATE idempotency_keys SET response = convert_to(\(String(buffer: first.body)), 'UTF8') WHERE key = 'sub-old'",
                logger: TestDatabase.logger)
            let again = try await app.request(.post, "/api/v1/webhooks", as: .admin, json: body, headers: key)
            #expect(again.status == .created)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(!String(buffer: again.body).contains(created.secret))
            #expect(try decode(WebhookSubscription.self, again).id == created.id)
            #expect(try await app.count("webhook_subscriptions") == 1)
        }
    }

    @Test("at most 100 subscriptions; a deleted one frees its place")
    func limit() async throws {
        try await TestApp.run { app in
            var last: UUID?
            for n in 0..<WebhookSubscriptionStore.maxSubscriptions {
                last = try await app.subscribe("https://a.example/\(n)", to: ["member.created"]).id
            }
            let over = try await app.request(
                .post, "/api/v1/webhooks", as: .admin, json: #"{"url": "https://a.example/x", "event_types": ["member.created"]}"#)
            #expect(over.status == .conflict)
            #expect(try errorCode(over) == "too_many_subscriptions")
            #expect(try await app.count("webhook_subscriptions") == WebhookSubscriptionStore.maxSubscriptions)
            try await app.request(.delete, "/api/v1/webhooks/\(try #require(last))", as: .admin)
            _ = try await app.subscribe("https://a.example/x", to: ["member.created"])
        }
    }

    @Test("only admin keys manage webhooks")
    func adminOnly() async throws {
        try await TestApp.run { app in
            for scope in Scope.allCases where scope != .admin {
                let response = try await app.request(
                    .post, "/api/v1/webhooks", as: scope, json: #"{"url": "https://a.example/x", "event_types": ["member.created"]}"#)
                #expect(response.status == .forbidden, "\(scope)")
            }
            #expect(try await app.request(.get, "/api/v1/webhooks", as: nil).status == .unauthorized)
            #expect(try await app.count("webhook_subscriptions") == 0)
        }
    }
}
