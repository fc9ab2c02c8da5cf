import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// The delivery service over real HTTP: a live server, a real database and a receiver on
/// loopback that fails when told to.
@Suite("Webhook deliveries", .serialized)
struct WebhookDeliveryTests {
    @Test("a claim's events reach the receiver signed, with the event as the body")
    func claimEvents() async throws {
        try await withWebhookReceiver { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks() }) { app in
                let webhook = try await app.subscribe(url, to: ["member.created", "points.credited"])
                try await app.createProduct()
                let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
                let claim = try await app.request(
                    .post, "/api/v1/claims", as: .claim,
                    json: #"{"code": "\#(app.code(batch, 3).text)", "identity": {"channel": "tmall", "external_id": "t-1"}}"#,
                    headers: [HTTPField.Name("Idempotency-Key")!: UUID().uuidString]
                )
                #expect(claim.status == .created, "\(String(buffer: claim.body))")
                // The API writes UUIDs in upper case, PostgreSQL's JSON in lower case.
                let member =
                    (try #require(try JSONSerialization.jsonObject(with: Data(Array(buffer: claim.body))) as? [String: Any])["member_id"]
                    as? String)?.lowercased()

                let received = try await inbox.waitFor(2)
                let sentAt = Int(Date().timeIntervalSince1970)
                for request in received {
                    #expect(request.isSigned(by: webhook.secret), "signature \(request.signature ?? "none") does not verify")
                    #expect(abs((Int(request.timestamp ?? "") ?? 0) - sentAt) < 30)
                    #expect(request.event == request.json["type"] as? String)
                    #expect(request.json["id"] is String && request.json["created_at"] is String)
                }
                let byType = Dictionary(uniqueKeysWithValues: received.map { ($0.event ?? "", $0) })
                let created = try #require(byType["member.created"]?.json["data"] as? [String: Any])
                #expect(created["member_id"] as? String == member)
                let credited = try #require(byType["points.credited"]?.json["data"] as? [String: Any])
                #expect(credited["member_id"] as? String == member)
                #expect(credited["points"] as? Int == 10 && credited["balance_after"] as? Int == 10)
                #expect(credited["kind"] as? String == "claim")

                // Both are recorded as delivered at the first try.
                try await app.waitForDeliveries(webhook.id, count: 2, toBe: .delivered)
                let deliveries = try await app.deliveries(webhook.id, status: "delivered")
                #expect(deliveries.count == 2)
                #expect(
                    deliveries.allSatisfy { $0.attempts == 1 && $0.lastStatus == 200 && $0.deliveredAt != nil && $0.nextAttemptAt == nil })
                #expect(Set(deliveries.map { String($0.id) }) == Set(received.compactMap(\.delivery)))
            }
        }
    }

    @Test("a receiver failing twice gets the event at the third try, after growing waits, and it is delivered once recorded")
    func retriesWithBackoff() async throws {
        try await withWebhookReceiver(script: [500, 503]) { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks(maxAttempts: 5, backoff: .milliseconds(300)) }) { app in
                let webhook = try await app.subscribe(url, to: ["points.credited"])
                let member = try await app.newMember()
                try await app.adjust(member, by: 25)

                let received = try await inbox.waitFor(3)
                // 300 ms, then 600 ms, each less at most 20 % jitter.
                #expect(received[1].at - received[0].at >= .milliseconds(240))
                #expect(received[2].at - received[1].at >= .milliseconds(480))
                #expect(Set(received.map(\.body)).count == 1, "every try sends the same event")
                #expect(Set(received.compactMap(\.delivery)).count == 1)
                #expect(received.allSatisfy { $0.isSigned(by: webhook.secret) })

                let delivery = try await app.waitForDelivery(webhook.id, toBe: .delivered)
                #expect(delivery.attempts == 3 && delivery.lastStatus == 200 && delivery.lastError == nil)
                try await Task.sleep(for: .milliseconds(700))
                #expect(await inbox.received.count == 3, "a delivered event is not sent again")
            }
        }
    }

    @Test("after the last failed try a delivery is dead; replaying it, alone or in bulk, delivers it")
    func deadLetterAndReplay() async throws {
        try await withWebhookReceiver(thereafter: 500) { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks(maxAttempts: 3, backoff: .milliseconds(100)) }) { app in
                let webhook = try await app.subscribe(url, to: ["points.credited", "points.debited"])
                let member = try await app.newMember()
                try await app.adjust(member, by: 40)

                try await inbox.waitFor(3)
                let dead = try await app.waitForDelivery(webhook.id, toBe: .dead)
                #expect(dead.attempts == 3 && dead.lastStatus == 500)
                #expect(dead.lastError == "HTTP 500: receiver says 500")
                try await Task.sleep(for: .milliseconds(500))
                #expect(await inbox.received.count == 3, "a dead letter is not tried again")

                await inbox.answer(204)
                let replay = try await app.request(.post, "/api/v1/webhooks/\(webhook.id)/deliveries/\(dead.id)/replay", as: .admin)
                #expect(replay.status == .ok, "\(String(buffer: replay.body))")
                let replayed = try decode(WebhookDelivery.self, replay)
                #expect(replayed.status == .pending && replayed.attempts == 0 && replayed.id == dead.id)
                let all = try await inbox.waitFor(4)
                #expect(all[3].body == all[0].body, "the replay sends the same event")
                let delivered = try await app.waitForDelivery(webhook.id, toBe: .delivered)
                #expect(delivered.attempts == 1 && delivered.lastStatus == 204)

                // Two more dead letters, replayed together.
                await inbox.answer(500)
                try await app.adjust(member, by: -15)
                try await app.adjust(member, by: 5)
                try await inbox.waitFor(10)
                let deadline = ContinuousClock.now + .seconds(10)
                while try await app.deliveries(webhook.id, status: "dead").count < 2 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await app.deliveries(webhook.id, status: "dead").count == 2)
                await inbox.answer(200)
                let bulk = try await app.request(.post, "/api/v1/webhooks/\(webhook.id)/replay", as: .admin, json: #"{"status": "dead"}"#)
                #expect(bulk.status == .ok)
                #expect(String(buffer: bulk.body) == #"{"replayed":2}"#)
                try await inbox.waitFor(12)
                while try await app.deliveries(webhook.id, status: "delivered").count < 3 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await app.deliveries(webhook.id, status: "delivered").count == 3)
                #expect(try await app.deliveries(webhook.id, status: "dead").isEmpty)
            }
        }
    }

    @Test("a receiver that does not answer within the timeout fails the try")
    func timeout() async throws {
        try await withWebhookReceiver(script: [0], hang: .seconds(2)) { url, inbox in
            try await TestApp.run(configure: {
                $0.webhooks = quickWebhooks(maxAttempts: 2, backoff: .milliseconds(100), timeout: .milliseconds(400))
            }) { app in
                let webhook = try await app.subscribe(url, to: ["member.created"])
                _ = try await app.newMember()
                let received = try await inbox.waitFor(2)
                #expect(received[1].at - received[0].at >= .milliseconds(400))
                let delivery = try await app.waitForDelivery(webhook.id, toBe: .delivered)
                #expect(delivery.attempts == 2)
                #expect(delivery.lastStatus == 200)
            }
        }
    }

    @Test("a timed-out try is recorded with its reason")
    func timeoutRecorded() async throws {
        try await withWebhookReceiver(script: [0], hang: .seconds(2)) { url, _ in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks(maxAttempts: 1, timeout: .milliseconds(300)) }) { app in
                let webhook = try await app.subscribe(url, to: ["member.created"])
                _ = try await app.newMember()
                let dead = try await app.waitForDelivery(webhook.id, toBe: .dead)
                #expect(dead.lastError == "no answer within 300 ms" && dead.lastStatus == nil)
            }
        }
    }

    @Test("deleting a subscription stops its pending deliveries and its events")
    func softDeleteStops() async throws {
        try await withWebhookReceiver(thereafter: 500) { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks(maxAttempts: 50, backoff: .milliseconds(300)) }) { app in
                let webhook = try await app.subscribe(url, to: ["points.credited"])
                let member = try await app.newMember()
                try await app.adjust(member, by: 10)
                try await inbox.waitFor(1)

                let deleted = try await app.request(.delete, "/api/v1/webhooks/\(webhook.id)", as: .admin)
                #expect(deleted.status == .noContent)
                let sentBefore = await inbox.received.count
                try await app.adjust(member, by: 10)
                try await Task.sleep(for: .seconds(1))
                // At most a try already under way when the subscription was deleted.
                #expect(await inbox.received.count <= sentBefore + 1)
                #expect(try await app.count("outbox_events") == 1, "no event is written for nobody")
                let rows = try await app.database.query(
                    "SELECT status, last_error FROM webhook_deliveries", logger: TestDatabase.logger
                )
                for try await (status, error) in rows.decode((String, String?).self) {
                    #expect(status == "dead" && error == "subscription deleted")
                }
                #expect(try await app.request(.get, "/api/v1/webhooks/\(webhook.id)/deliveries", as: .admin).status == .notFound)
            }
        }
    }

    @Test("while a subscription is inactive nothing is sent; made active again, what waited goes out")
    func pauseAndResume() async throws {
        try await withWebhookReceiver(script: [500]) { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks(backoff: .milliseconds(500)) }) { app in
                let webhook = try await app.subscribe(url, to: ["points.credited"])
                let member = try await app.newMember()
                try await app.adjust(member, by: 10)
                try await inbox.waitFor(1)
                let paused = try await app.request(.patch, "/api/v1/webhooks/\(webhook.id)", as: .admin, json: #"{"active": false}"#)
                #expect(paused.status == .ok)
                try await app.adjust(member, by: 10) // not subscribed while inactive: no event
                try await Task.sleep(for: .seconds(1))
                #expect(await inbox.received.count == 1)
                #expect(try await app.count("outbox_events") == 1)

                let resumed = try await app.request(.patch, "/api/v1/webhooks/\(webhook.id)", as: .admin, json: #"{"active": true}"#)
                #expect(resumed.status == .ok)
                try await inbox.waitFor(2)
                let delivery = try await app.waitForDelivery(webhook.id, toBe: .delivered)
                #expect(delivery.attempts == 2)
            }
        }
    }

    @Test("an event goes only to the subscriptions that want its type, and is written only if one does")
    func onlyWantedTypes() async throws {
        try await withWebhookReceiver { url, inbox in
            try await TestApp.run(configure: { $0.webhooks = quickWebhooks() }) { app in
                let debits = try await app.subscribe(url, to: ["points.debited"])
                let member = try await app.newMember()
                try await app.adjust(member, by: 30)
                #expect(try await app.count("outbox_events") == 0)
                try await app.adjust(member, by: -12)
                let received = try await inbox.waitFor(1)
                #expect(received[0].event == "points.debited")
                let data = try #require(received[0].json["data"] as? [String: Any])
                #expect(data["points"] as? Int == -12 && data["balance_after"] as? Int == 18 && data["reason"] as? String == "test")
                #expect(received[0].isSigned(by: debits.secret))
                try await Task.sleep(for: .milliseconds(300))
                #expect(await inbox.received.count == 1)
            }
        }
    }
}
